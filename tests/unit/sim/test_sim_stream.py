"""Streaming replay: a venue fed chunk by chunk is the in-memory venue, step for step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.unit.sim.sim_cases import (
    ASK,
    BID,
    MS,
    SELL,
    ZERO_LATENCY,
    T,
    Tape,
    act,
    book,
    python_quoter,
    synthetic_tape,
    tape,
)

from mmbot.artifacts import write_fill_log
from mmbot.sim import FILL_LOG_COLUMNS, EventStream, FixedSpreadQuoterParams, SimParams, SimVenue
from mmbot.sim import layout as lo

SLOW_ORDERS = replace(ZERO_LATENCY, entry_latency_ns=10 * MS, response_latency_ns=5 * MS)
SIM = SimParams(tick_size=0.1, lot_size=0.001)  # 10 ms latencies, default fees
QUOTER = FixedSpreadQuoterParams(max_position_lots=5)


def chunks_of(events: Tape, size: int) -> Iterator[Tape]:
    """Yield events in chunks of size rows (the last shorter)."""
    for start in range(0, len(events.ts_exch_ns), size):
        yield Tape(*(getattr(events, f)[start : start + size] for f in Tape.__dataclass_fields__))


def scripted(
    events: Tape | EventStream, script: list[tuple[object, ...]], params: SimParams
) -> tuple[list[bytes], bytes]:
    """Run script ((t_ms, verb, *args)) over events; return each step's reports and the
    fill log, as bytes."""
    venue = SimVenue(events, params)
    steps = []
    for t_ms, *action in script:
        venue.run_until(int(t_ms) * MS)  # type: ignore[call-overload]
        steps.append(venue.drain_reports().tobytes())
        act(venue, tuple(action))
    venue.run_until(1_000 * MS)
    steps.append(venue.drain_reports().tobytes())
    log = venue.fill_log()
    return steps, b"".join(getattr(log, name).tobytes() for name in FILL_LOG_COLUMNS)


# Every chunk boundary falls somewhere in these tapes: chunk sizes 1..len cover each one.
CASES = {
    # bid 100 sent at 0 arrives at 10 (entry latency): the trade at 5 misses it, the one at
    # 12 fills; rows between send and arrival sit in other chunks.
    "between send and arrival": (
        [*book(0, {99: 5}, {101: 5}), (5, T, SELL, 99, 2), (8, T, SELL, 99, 1),
         (12, T, SELL, 99, 2), (20, T, SELL, 99, 2)],
        [(0, "limit", BID, 100, 3)],
    ),
    # a second snapshot replaces the book row by row; our bid meets it mid-run
    "inside a snapshot run": (
        [*book(0, {99: 5, 98: 5}, {101: 5, 102: 5}),
         *book(30, {100: 4, 99: 2, 98: 1}, {101: 3, 103: 1}), (40, T, SELL, 100, 6)],
        [(1, "limit", BID, 100, 2), (2, "limit", ASK, 101, 1)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_streamed_script_equals_in_memory_at_every_chunk_size(case: str) -> None:
    rows, script = CASES[case]
    events = tape(*rows)
    expected = scripted(events, script, SLOW_ORDERS)
    assert any(expected[0]), "the case must produce reports"
    for size in range(1, len(rows) + 1):
        assert scripted(EventStream(chunks_of(events, size)), script, SLOW_ORDERS) == expected


TAPE = synthetic_tape(6_000)


@pytest.mark.parametrize("latency_model", ["constant", "recorded"])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_streamed_quoter_writes_the_in_memory_fill_log(
    tmp_path: Path, chunk: int, latency_model: str
) -> None:
    params = replace(SIM, latency_model=latency_model)
    in_memory = python_quoter(TAPE, params, QUOTER)
    streamed = python_quoter(EventStream(chunks_of(TAPE, chunk)), params, QUOTER)
    write_fill_log(tmp_path / "memory.csv", in_memory.fill_log())
    write_fill_log(tmp_path / "stream.csv", streamed.fill_log())
    assert len(in_memory.fill_log().ts_ns) > 10
    assert (tmp_path / "stream.csv").read_bytes() == (tmp_path / "memory.csv").read_bytes()
    assert (streamed.position_lots, streamed.cash_usd) == (
        in_memory.position_lots,
        in_memory.cash_usd,
    )


def test_streamed_venue_keeps_only_a_window_of_events_loaded() -> None:
    chunk = 64
    venue = SimVenue(EventStream(chunks_of(TAPE, chunk)), SIM)
    loaded = []
    t_ns = venue.now_ns
    while venue.run_until(t_ns):
        loaded.append(len(venue.state.ts_exch_ns))
        if not venue.state.regs[lo.R_N_ACTIVE] and venue.best_bid_ticks is not None:
            venue.submit_limit(BID, venue.best_bid_ticks, 1)
        t_ns += MS
    # The window is one chunk plus what lies between the two cursors (~10 ms of events).
    assert max(loaded) <= 4 * chunk < len(TAPE.ts_exch_ns) // 10
    assert int(venue.state.regs[lo.R_MORE_EVENTS]) == 0


def test_stream_ending_before_a_book_level_still_starts() -> None:
    trades_only = tape((0, T, SELL, 99, 1), (1, T, SELL, 99, 1))
    venue = SimVenue(EventStream(chunks_of(trades_only, 1)), ZERO_LATENCY)
    assert venue.run_until(5 * MS) is False
    assert int(np.sum(venue.state.kind == T)) == 2
