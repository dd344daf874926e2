"""The config schema: strict types, unknown keys rejected, cross-field rules after the fields.

Every section is a frozen model. Defaults here are the embedded defaults `make demo` runs on;
profiles (configs/profiles/*.yaml) are partial documents merged over the file before this
schema sees it, so a profile is validated exactly like a config.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

RULE_ERROR_TYPE = "cfg_rule"


def _rule_failed(field: str, value: object, expected: str) -> PydanticCustomError:
    """Return the error of a cross-field rule; `field` is relative to the section."""
    return PydanticCustomError(
        RULE_ERROR_TYPE,
        "{field} {expected}",
        {"field": field, "value": value, "expected": expected},
    )


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class InstrumentConfig(_Section):
    """The traded instrument; prices and sizes are int ticks/lots inside the engine."""

    venue: str = Field(default="synthetic", min_length=1)
    symbol: str = Field(default="BTC-USDT-PERP", min_length=1)
    tick_size: float = Field(default=0.1, gt=0)
    lot_size: float = Field(default=0.001, gt=0)


class FeeTier(_Section):
    """One 30-day-volume fee tier; a negative maker fee is a rebate."""

    min_volume_30d_usd: float = Field(ge=0)
    maker_bps: float = Field(ge=-10, le=100)
    taker_bps: float = Field(ge=0, le=100)


def _default_tiers() -> tuple[FeeTier, ...]:
    return (
        FeeTier(min_volume_30d_usd=0.0, maker_bps=1.0, taker_bps=5.0),
        FeeTier(min_volume_30d_usd=5_000_000.0, maker_bps=0.0, taker_bps=4.0),
        FeeTier(min_volume_30d_usd=50_000_000.0, maker_bps=-0.5, taker_bps=3.0),
    )


class FeesConfig(_Section):
    """Maker/taker fees by 30-day traded volume."""

    # strict=False only lets a YAML list become the tuple; each tier stays strict.
    tiers: tuple[FeeTier, ...] = Field(default_factory=_default_tiers, min_length=1, strict=False)
    volume_30d_usd: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _tiers_ascend_from_zero(self) -> FeesConfig:
        base = self.tiers[0].min_volume_30d_usd
        if base != 0.0:
            raise _rule_failed("tiers.0.min_volume_30d_usd", base, "0 (the base tier)")
        for index in range(1, len(self.tiers)):
            volume = self.tiers[index].min_volume_30d_usd
            if volume <= self.tiers[index - 1].min_volume_30d_usd:
                raise _rule_failed(
                    f"tiers.{index}.min_volume_30d_usd", volume, "ascending above the tier before"
                )
        for index, tier in enumerate(self.tiers):
            if tier.taker_bps < tier.maker_bps:
                raise _rule_failed(f"tiers.{index}.taker_bps", tier.taker_bps, ">=maker_bps")
        return self


class LatencyConfig(_Section):
    """Feed, order-entry and response latency of the simulated venue."""

    model: Literal["constant", "recorded"] = "constant"
    feed_ms: float = Field(default=10.0, ge=0, le=10_000)
    entry_ms: float = Field(default=10.0, ge=0, le=10_000)
    response_ms: float = Field(default=10.0, ge=0, le=10_000)


class SimConfig(_Section):
    """Simulated venue: queue-position model and latency."""

    queue_model: Literal["risk_averse", "prob"] = "risk_averse"
    prob_variant: Literal["power", "log"] = "power"
    prob_power: float = Field(default=2.0, gt=0, le=10)
    latency: LatencyConfig = Field(default_factory=LatencyConfig)


class SignalsConfig(_Section):
    """Micro signals folded into fair value; their quote move is capped per decision."""

    enabled: bool = True
    impact_cap_pct: float = Field(default=10.0, gt=0, le=100)


class StrategyConfig(_Section):
    """Quote model and sizing."""

    model: Literal["avellaneda_stoikov", "glft", "fixed_spread"] = "glft"
    decision_interval_ms: int = Field(default=100, gt=0, le=60_000)
    risk_aversion: float = Field(default=0.1, gt=0, le=100)
    fixed_half_spread_ticks: int = Field(default=2, ge=1, le=10_000)
    order_qty_lots: int = Field(default=10, gt=0)
    max_size_delta_lots: int = Field(default=5, gt=0)
    signals: SignalsConfig = Field(default_factory=SignalsConfig)


class RiskConfig(_Section):
    """Risk invariants, active in every mode."""

    max_position_usd: float = Field(default=10_000.0, gt=0)
    max_skew_usd: float = Field(default=7_500.0, gt=0)
    intraday_max_loss_usd: float = Field(default=500.0, gt=0)
    intraday_max_notional_usd: float = Field(default=5_000_000.0, gt=0)
    intraday_max_orders: int = Field(default=200_000, gt=0)
    orders_per_s: float = Field(default=20.0, gt=0)
    cancels_per_s: float = Field(default=20.0, gt=0)
    min_replace_ticks: int = Field(default=1, ge=0)
    min_order_age_ms: int = Field(default=50, ge=0)
    kill_switch_file: str | None = None

    @model_validator(mode="after")
    def _skew_within_position(self) -> RiskConfig:
        if self.max_skew_usd > self.max_position_usd:
            raise _rule_failed(
                "max_skew_usd", self.max_skew_usd, f"<=max_position_usd({self.max_position_usd})"
            )
        return self


class AllocConfig(_Section):
    """Portfolio budget, drawdown scaling from the high-water mark, smoothing of changes."""

    budget_usd: float = Field(default=100_000.0, gt=0)
    drawdown_scale: float = Field(default=1.0, ge=0, le=10)
    smoothing: float = Field(default=0.0, ge=0, lt=1)
    max_step_pct: float = Field(default=100.0, gt=0, le=100)


class ThresholdsConfig(_Section):
    """Release thresholds a backtest must hold (defaults from the release checklist)."""

    min_net_bps: float = 2.5
    max_taker_share_pct: float = Field(default=15.0, ge=0, le=100)
    max_order_age_p95_ms: float = Field(default=350.0, gt=0)


class BacktestConfig(_Section):
    """Backtest run settings."""

    seed: int = Field(default=7, ge=0)
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)


class MmConfig(_Section):
    """The whole config document."""

    instrument: InstrumentConfig = Field(default_factory=InstrumentConfig)
    fees: FeesConfig = Field(default_factory=FeesConfig)
    sim: SimConfig = Field(default_factory=SimConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    alloc: AllocConfig = Field(default_factory=AllocConfig)
    backtest: BacktestConfig = Field(default_factory=BacktestConfig)
