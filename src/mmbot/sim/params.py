"""Settings of the simulated venue, built from the config or by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from mmbot.config import MmConfig
from mmbot.core.errors import ConfigError
from mmbot.sim.layout import QM_PROB_LOG, QM_PROB_POWER, QM_RISK_AVERSE

QueueModel = Literal["risk_averse", "prob"]
ProbVariant = Literal["power", "log"]
LatencyModel = Literal["constant", "recorded"]

_NS_PER_MS = 1_000_000
DEFAULT_TIERS: tuple[tuple[float, float, float], ...] = ((0.0, 1.0, 5.0),)


def _fail(key: str, value: object, expected: str) -> ConfigError:
    return ConfigError("E_SIM_CONFIG", f"key={key} value={value} expected={expected}")


@dataclass(frozen=True, slots=True)
class SimParams:
    """Instrument, queue model, latency and fee tiers of one simulated venue.

    fee_tiers holds (min_volume_30d_usd, maker_bps, taker_bps) in ascending volume, the
    first at 0; a negative maker_bps is a rebate. Latencies are integer nanoseconds.
    roi_width_ticks is the price window the books keep; order_capacity bounds resting orders.
    """

    tick_size: float = 0.1
    lot_size: float = 0.001
    queue_model: QueueModel = "risk_averse"
    prob_variant: ProbVariant = "power"
    prob_power: float = 2.0
    latency_model: LatencyModel = "constant"
    feed_latency_ns: int = 10 * _NS_PER_MS
    entry_latency_ns: int = 10 * _NS_PER_MS
    response_latency_ns: int = 10 * _NS_PER_MS
    fee_tiers: tuple[tuple[float, float, float], ...] = DEFAULT_TIERS
    volume_30d_usd: float = 0.0
    roi_width_ticks: int = 1 << 16
    order_capacity: int = 256

    def __post_init__(self) -> None:
        for key in ("tick_size", "lot_size", "prob_power"):
            value = getattr(self, key)
            if not (math.isfinite(value) and value > 0):
                raise _fail(key, value, ">0")
        if self.queue_model not in ("risk_averse", "prob"):
            raise _fail("queue_model", self.queue_model, "risk_averse|prob")
        if self.prob_variant not in ("power", "log"):
            raise _fail("prob_variant", self.prob_variant, "power|log")
        if self.latency_model not in ("constant", "recorded"):
            raise _fail("latency_model", self.latency_model, "constant|recorded")
        for key in ("feed_latency_ns", "entry_latency_ns", "response_latency_ns"):
            if getattr(self, key) < 0:
                raise _fail(key, getattr(self, key), ">=0")
        if self.roi_width_ticks < 16:
            raise _fail("roi_width_ticks", self.roi_width_ticks, ">=16")
        if self.order_capacity < 1:
            raise _fail("order_capacity", self.order_capacity, ">=1")
        if self.volume_30d_usd < 0:
            raise _fail("volume_30d_usd", self.volume_30d_usd, ">=0")
        self._check_tiers()

    def _check_tiers(self) -> None:
        if not self.fee_tiers or self.fee_tiers[0][0] != 0.0:
            raise _fail("fee_tiers", self.fee_tiers, "first tier at min_volume_30d_usd=0")
        for index, (volume, maker_bps, taker_bps) in enumerate(self.fee_tiers):
            if index and volume <= self.fee_tiers[index - 1][0]:
                raise _fail(f"fee_tiers.{index}", volume, "ascending min_volume_30d_usd")
            if not (math.isfinite(maker_bps) and math.isfinite(taker_bps)):
                raise _fail(f"fee_tiers.{index}", (maker_bps, taker_bps), "finite bps")

    @classmethod
    def from_config(cls, cfg: MmConfig) -> SimParams:
        """Return the simulator settings of a validated config."""
        latency = cfg.sim.latency
        return cls(
            tick_size=cfg.instrument.tick_size,
            lot_size=cfg.instrument.lot_size,
            queue_model=cfg.sim.queue_model,
            prob_variant=cfg.sim.prob_variant,
            prob_power=cfg.sim.prob_power,
            latency_model=latency.model,
            feed_latency_ns=round(latency.feed_ms * _NS_PER_MS),
            entry_latency_ns=round(latency.entry_ms * _NS_PER_MS),
            response_latency_ns=round(latency.response_ms * _NS_PER_MS),
            fee_tiers=tuple(
                (tier.min_volume_30d_usd, tier.maker_bps, tier.taker_bps) for tier in cfg.fees.tiers
            ),
            volume_30d_usd=cfg.fees.volume_30d_usd,
        )

    @property
    def queue_model_code(self) -> int:
        """Return the compiled code's queue-model constant (layout.QM_*)."""
        if self.queue_model == "risk_averse":
            return QM_RISK_AVERSE
        return QM_PROB_POWER if self.prob_variant == "power" else QM_PROB_LOG
