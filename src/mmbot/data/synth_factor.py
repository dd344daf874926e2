"""The common factor of a several-symbol synthetic market (docs/SYNTH_MODEL.md).

Theory of operation: the factor is the part of the market every symbol shares - the
volatility regime and a share `|rho|` of the mid moves. It is the regime chain of the
single-symbol model (calm <-> volatile) plus a Poisson stream of mid moves at `|rho|` times
the model's move rate in the current regime, each move drawn by the kernel's own law
(direction +-1, diffusive or jump size in ticks). Every symbol applies every factor event at
the same exchange time; a symbol's own moves run at `1 - |rho|` times the rate, so each
symbol alone moves at the single-symbol rate, and the 1-second mid changes of two symbols
correlate by about rho.

The factor is generated in blocks of fixed exchange time from its own seeded stream; a block
depends only on the seed and its place in the sequence, so every symbol (generated one after
another) sees the same factor. Within a block the regime chain is walked switch by switch and
the moves of each regime spell are a Poisson count placed uniformly (the order statistics of
a Poisson process); a spell cut by the block end resumes in the next block with a fresh
waiting time, which is exact because the switch clock is memoryless.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from mmbot.data import synth_kernel as kernel
from mmbot.data.synth import FactorBlocks, kernel_params
from mmbot.data.synth_params import SynthParams

_NS_PER_S: Final = 1_000_000_000
FACTOR_BLOCK_NS: Final = 600 * _NS_PER_S  # exchange time per block


def factor_blocks(
    rng: np.random.Generator, params: SynthParams, move_share: float, sign: int
) -> FactorBlocks:
    """Yield the factor block after block from params.start_ts_ns: (events, end_ns).

    move_share is |rho|; sign (+1 or -1) multiplies every move's direction (a symbol that
    loads negatively on the factor).
    """
    if not 0.0 <= move_share <= 1.0 or sign not in (1, -1):
        raise ValueError(f"move_share={move_share} expected 0..1, sign={sign} expected +-1")
    regime = 0
    start_ns = params.start_ts_ns
    while True:
        end_ns = start_ns + FACTOR_BLOCK_NS
        events, regime = _block(rng, params, move_share, regime, start_ns, end_ns)
        events[kernel.FACTOR_DIR] *= sign
        yield events, end_ns
        start_ns = end_ns


def _block(
    rng: np.random.Generator,
    params: SynthParams,
    move_share: float,
    regime: int,
    start_ns: int,
    end_ns: int,
) -> tuple[NDArray[np.int64], int]:
    """Return the factor events in [start_ns, end_ns) and the regime in force at end_ns."""
    spells = []
    spell_ns = start_ns
    while True:
        switch_hz = params.volatile_to_calm_hz if regime else params.calm_to_volatile_hz
        wait_ns = rng.exponential() / switch_hz * _NS_PER_S if switch_hz > 0 else np.inf
        switch_ns = end_ns if wait_ns >= end_ns - spell_ns else spell_ns + int(wait_ns)
        spells.append(_moves(rng, params, move_share, regime, spell_ns, switch_ns))
        if switch_ns >= end_ns:
            return np.concatenate(spells, axis=1), regime
        regime = 1 - regime
        switch = np.array([[switch_ns], [regime], [0], [0]], dtype=np.int64)
        spells.append(switch)
        spell_ns = switch_ns


def _moves(
    rng: np.random.Generator,
    params: SynthParams,
    move_share: float,
    regime: int,
    start_ns: int,
    end_ns: int,
) -> NDArray[np.int64]:
    """Return the factor moves of one regime spell [start_ns, end_ns), in time order."""
    volatile_mult = params.volatile_move_mult if regime else 1.0
    rate_hz = move_share * (params.move_rate_hz + params.jump_rate_hz) * volatile_mult
    count = int(rng.poisson(rate_hz * (end_ns - start_ns) / _NS_PER_S))
    events = np.empty((kernel.N_FACTOR_ROWS, count), dtype=np.int64)
    offsets = np.sort(rng.random(count)) * (end_ns - start_ns)
    events[kernel.FACTOR_TS] = start_ns + offsets.astype(np.int64)
    events[kernel.FACTOR_REGIME] = regime
    state = np.zeros(kernel.N_STATE, dtype=np.int64)
    uniforms = rng.random(kernel.MOVE_DRAWS * count)
    kernel.draw_moves(
        kernel_params(params),
        uniforms,
        state,
        events[kernel.FACTOR_DIR],
        events[kernel.FACTOR_TICKS],
    )
    return events
