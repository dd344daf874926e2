"""`synthesize`: a seeded synthetic market, generated in chunks (docs/SYNTH_MODEL.md).

The compiled kernel (synth_kernel) does the work; this module owns the seeded Generator,
feeds it blocks of uniforms and cuts its output into batches of a fixed size. The events
a seed produces do not depend on how the caller consumes them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Final, NamedTuple, TypeAlias

import numpy as np
from numpy.typing import NDArray

from mmbot.data import synth_kernel as kernel
from mmbot.data.batch import EventBatch
from mmbot.data.schema import InstrumentMeta
from mmbot.data.synth_params import SYNTH_META, SynthParams

_CHUNK_EVENTS: Final = 1 << 18
_DRAW_BLOCK: Final = 1 << 20
_NO_FACTOR: Final = np.empty((kernel.N_FACTOR_ROWS, 0), dtype=np.int64)

# Blocks of a common factor (synth_factor): events in kernel.FACTOR_* rows, and the time up
# to which the block holds every factor event.
FactorBlocks: TypeAlias = Iterator[tuple[NDArray[np.int64], int]]


class Factor(NamedTuple):
    """The common factor one symbol of a several-symbol market follows (synth_factor)."""

    own_move_share: float  # share of the symbol's mid-move rate that is its own
    blocks: FactorBlocks


def kernel_params(params: SynthParams) -> kernel.KernelParams:
    """Return params flattened for the compiled kernel (a single symbol: all moves its own)."""
    return kernel.KernelParams(
        n_levels=params.n_levels,
        calm_to_volatile_hz=params.calm_to_volatile_hz,
        volatile_to_calm_hz=params.volatile_to_calm_hz,
        move_rate_hz=params.move_rate_hz,
        move_geom_p=1.0 / params.move_mean_ticks,
        jump_rate_hz=params.jump_rate_hz,
        jump_extra_ticks=params.jump_mean_ticks - 1.0,
        volatile_move_mult=params.volatile_move_mult,
        spread_wide_prob_calm=params.spread_wide_prob_calm,
        spread_wide_prob_volatile=params.spread_wide_prob_volatile,
        trade_base_hz=params.trade_base_hz,
        hawkes_alpha_hz=params.hawkes_alpha_hz,
        hawkes_beta_hz=params.hawkes_beta_hz,
        volatile_trade_mult=params.volatile_trade_mult,
        trade_qty_median_lots=params.trade_qty_median_lots,
        trade_qty_sigma=params.trade_qty_sigma,
        informed_fraction=params.informed_fraction,
        informed_accuracy=params.informed_accuracy,
        informed_qty_mult=params.informed_qty_mult,
        churn_rate_hz=params.churn_rate_hz,
        volatile_churn_mult=params.volatile_churn_mult,
        level_qty_median_lots=params.level_qty_median_lots,
        level_qty_sigma=params.level_qty_sigma,
        churn_level_decay=params.churn_level_decay,
        improve_prob=params.improve_prob,
        latency_median_ns=float(params.latency_median_ns),
        latency_sigma=params.latency_sigma,
        own_move_share=1.0,
        sweeps_pull_forward=False,
    )


def synthesize_labeled(
    seed: int,
    n_events: int,
    meta: InstrumentMeta | None = None,
    params: SynthParams | None = None,
) -> Iterator[tuple[EventBatch, NDArray[np.bool_]]]:
    """Yield the synthetic events in batches, each with a mask of its informed trades.

    The mask is the ground truth that the event file cannot hold: True on trade rows
    whose trader knew the next mid move. Use it to check markouts and toxicity measures.
    """
    if n_events < 0 or seed < 0:
        raise ValueError(f"seed and n_events must be >= 0, got {seed}, {n_events}")
    params = params or SynthParams()
    rng = np.random.default_rng(seed)
    yield from generate_labeled(rng, n_events, meta or SYNTH_META, params, None)


def generate_labeled(
    rng: np.random.Generator,
    n_events: int,
    meta: InstrumentMeta,
    params: SynthParams,
    factor: Factor | None,
) -> Iterator[tuple[EventBatch, NDArray[np.bool_]]]:
    """Yield n_events labeled events drawn from rng; a factor's blocks drive the regime and
    the shared mid moves. Not part of the package API.
    """
    k = kernel_params(params)
    blocks: FactorBlocks = itertools.repeat((_NO_FACTOR, kernel.NO_FACTOR_END_NS))
    if factor is not None:
        # The factor owns the regime: the symbol's own regime clock never rings.
        k = k._replace(
            calm_to_volatile_hz=0.0,
            volatile_to_calm_hz=0.0,
            own_move_share=factor.own_move_share,
            sweeps_pull_forward=True,
        )
        blocks = factor.blocks
    state = np.zeros(kernel.N_STATE, dtype=np.int64)
    state[kernel.TS] = state[kernel.LOCAL] = params.start_ts_ns
    state[kernel.FACTOR_END_NS] = params.start_ts_ns  # the first step fetches the first block
    block: NDArray[np.int64] = _NO_FACTOR
    state[kernel.BID] = round(params.mid_start_usd / meta.tick_size)
    state[kernel.ASK] = state[kernel.BID] + 1
    hawkes = np.zeros(1, dtype=np.float64)
    bid_q = np.zeros(params.n_levels, dtype=np.int64)
    ask_q = np.zeros(params.n_levels, dtype=np.int64)
    step_events = kernel.max_events(params.n_levels)
    step_draws = kernel.max_draws(params.n_levels)
    uniforms = rng.random(_DRAW_BLOCK)
    carry: NDArray[np.int64] = np.empty((kernel.N_ROWS, 0), dtype=np.int64)
    produced = 0
    while produced < n_events:
        want = min(_CHUNK_EVENTS, n_events - produced)
        out = np.empty((kernel.N_ROWS, want + step_events), dtype=np.int64)
        filled = carry.shape[1]
        out[:, :filled] = carry
        while filled < want:
            if state[kernel.CURSOR] > len(uniforms) - step_draws:
                uniforms = rng.random(_DRAW_BLOCK)
                state[kernel.CURSOR] = 0
            if state[kernel.TS] >= state[kernel.FACTOR_END_NS]:
                block, state[kernel.FACTOR_END_NS] = next(blocks)
                state[kernel.FACTOR_AT] = 0
            filled = kernel.run(k, uniforms, state, hawkes, bid_q, ask_q, out, filled, want, block)
        # Rows past `want` belong to the next batch: a step is never split by the cut.
        carry = out[:, want:filled].copy()
        batch = EventBatch(*(out[row, :want] for row in range(kernel.LABEL_ROW)))
        yield batch, out[kernel.LABEL_ROW, :want].astype(np.bool_)
        produced += want


def synthesize(
    seed: int,
    n_events: int,
    meta: InstrumentMeta | None = None,
    params: SynthParams | None = None,
) -> Iterator[EventBatch]:
    """Yield exactly n_events synthetic events in batches; the same seed gives the same events.

    The stream opens with CLEAR and a snapshot of params.n_levels levels a side, then
    depth updates (new total at a level, 0 deletes) and trades, each trade followed by
    the depth row of the level it hit. The book is never crossed.
    """
    for batch, _labels in synthesize_labeled(seed, n_events, meta, params):
        yield batch
