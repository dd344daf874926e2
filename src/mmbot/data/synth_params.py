"""Parameters of the synthetic market (docs/SYNTH_MODEL.md explains every one)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Final

from mmbot.data.schema import InstrumentMeta

SYNTH_META: Final = InstrumentMeta(venue="SYNTH", symbol="BTC-USD", tick_size=0.1, lot_size=0.001)

_PROBABILITIES: Final = (
    "spread_wide_prob_calm",
    "spread_wide_prob_volatile",
    "informed_fraction",
    "informed_accuracy",
    "improve_prob",
)


@dataclass(frozen=True, slots=True)
class SynthParams:
    """Knobs of the synthetic market; rates are per second of exchange time, calm regime.

    The volatile regime multiplies the mid-move, jump, trade and churn rates by its
    `volatile_*_mult`. Sizes are in lots of the instrument, prices in ticks.
    """

    start_ts_ns: int = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z
    mid_start_usd: float = 50_000.0  # best bid at start, quote currency
    n_levels: int = 10  # price levels kept on each side
    # Volatility regimes: a two-state Markov chain (calm <-> volatile).
    calm_to_volatile_hz: float = 1 / 600
    volatile_to_calm_hz: float = 1 / 120
    # Mid: compound-Poisson jump-diffusion on the tick grid.
    move_rate_hz: float = 2.0  # small (diffusive) mid moves
    move_mean_ticks: float = 1.5  # geometric size on 1, 2, ...
    jump_rate_hz: float = 0.005  # rare large moves
    jump_mean_ticks: float = 20.0  # exponential size, >= 1 tick
    volatile_move_mult: float = 4.0
    spread_wide_prob_calm: float = 0.1  # P(spread >= k+1 | spread >= k) after a move
    spread_wide_prob_volatile: float = 0.4
    # Trades: a Hawkes process with an exponential kernel.
    trade_base_hz: float = 6.0
    hawkes_alpha_hz: float = 1.4  # intensity added by each trade
    hawkes_beta_hz: float = 2.0  # decay rate of the added intensity (branching alpha/beta)
    volatile_trade_mult: float = 2.0  # multiplies the base rate only
    trade_qty_median_lots: float = 20.0  # log-normal
    trade_qty_sigma: float = 1.2
    informed_fraction: float = 0.2  # share of trades that know the next mid move
    informed_accuracy: float = 0.8  # P(informed side == direction of the next move)
    informed_qty_mult: float = 5.0  # informed trades are larger; they may take a whole level
    # Book churn: limit adds and cancels at the kept levels.
    churn_rate_hz: float = 400.0  # a liquid perp feed: hundreds of L2 rows per second
    volatile_churn_mult: float = 1.5
    level_qty_median_lots: float = 500.0  # log-normal size of a new level
    level_qty_sigma: float = 0.8
    churn_level_decay: float = 3.0  # level i is picked with weight exp(-i / decay)
    improve_prob: float = 0.3  # P(a churn event fills inside a spread wider than 1 tick)
    # Feed latency ts_local_ns - ts_exch_ns: log-normal, delivered in order (FIFO).
    latency_median_ns: int = 2_000_000
    latency_sigma: float = 0.5

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in _PROBABILITIES:
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"SynthParams.{field.name}={value} expected 0..1")
            elif field.name != "start_ts_ns" and not value >= 0:
                raise ValueError(f"SynthParams.{field.name}={value} expected >= 0")
        if self.n_levels < 1:
            raise ValueError(f"SynthParams.n_levels={self.n_levels} expected >= 1")
        if self.churn_rate_hz <= 0:
            raise ValueError("SynthParams.churn_rate_hz must be > 0 (it paces the book)")
        if self.move_mean_ticks < 1 or self.jump_mean_ticks < 1:
            raise ValueError("SynthParams move_mean_ticks and jump_mean_ticks must be >= 1")
        if self.hawkes_alpha_hz >= self.hawkes_beta_hz:
            raise ValueError(
                f"SynthParams.hawkes_alpha_hz={self.hawkes_alpha_hz} must be < hawkes_beta_hz="
                f"{self.hawkes_beta_hz} (branching ratio < 1, else trades explode)"
            )
        if self.spread_wide_prob_calm >= 1 or self.spread_wide_prob_volatile >= 1:
            raise ValueError("SynthParams.spread_wide_prob_* must be < 1")


# Named markets for `mmbot data synth --preset NAME` (docs/FIXTURES.md). "default" is
# SynthParams() on SYNTH_META: the liquid BTC-like perp. Fixtures name a preset, so changing a
# preset's numbers changes the fixtures' data and goldens (regenerate them on purpose).
FIXTURE_ALT_META: Final = InstrumentMeta(
    venue="SYNTH", symbol="ALT-USD", tick_size=0.01, lot_size=0.1
)
FIXTURE_ALT: Final = SynthParams(
    mid_start_usd=100.0,  # tick 0.01 = 1 bp of price: a large-tick alt book
    move_rate_hz=0.3,  # the mid moves every ~3 s (calm), so informed flow has time to show
    move_mean_ticks=2.0,
    jump_rate_hz=0.001,
    jump_mean_ticks=5.0,
    spread_wide_prob_calm=0.85,  # wide books: median spread ~4 ticks (4 bps)
    spread_wide_prob_volatile=0.9,
    trade_base_hz=10.0,  # many small trades: ~33/s calm
    trade_qty_median_lots=10.0,
    informed_fraction=0.3,
    informed_accuracy=0.9,
    informed_qty_mult=4.0,
    churn_rate_hz=250.0,  # ~340 feed rows a second in all
    level_qty_median_lots=400.0,
    improve_prob=0.002,  # a wide spread refills slowly (~0.5/s)
)

# The same instrument on a tight, busy book where queue place decides fills: the latency
# e2e (docs/LATENCY.md) compares order-working policies on it.
FIXTURE_TIGHT: Final = replace(
    FIXTURE_ALT,
    move_rate_hz=0.6,  # one-tick steps every ~1.7 s (calm): a level behind the touch becomes it
    move_mean_ticks=1.0,
    spread_wide_prob_calm=0.1,  # 1-tick spread ~90% of the time (calm)
    spread_wide_prob_volatile=0.3,
    trade_base_hz=16.0,  # ~53 trades/s calm: the tape works through the queues
    improve_prob=0.3,  # a gap in the spread refills at once, as on a liquid book
    level_qty_median_lots=60.0,  # 600 USD a level: a few dozen trades clear it
)

PRESETS: Final[dict[str, tuple[SynthParams, InstrumentMeta]]] = {
    "default": (SynthParams(), SYNTH_META),
    "fixture_alt": (FIXTURE_ALT, FIXTURE_ALT_META),
    "fixture_tight": (FIXTURE_TIGHT, FIXTURE_ALT_META),
}


def preset(name: str) -> tuple[SynthParams, InstrumentMeta]:
    """Return the (params, instrument) of a named market; ValueError names the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown synth preset {name!r}; expected one of {known}") from None
