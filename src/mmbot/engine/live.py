"""The live runner: the backtest's Engine stepped by an asyncio loop, paced by the wall clock.

Theory of operation. Decision points are the engine's grid `first_ts + k * interval` of local
time. With a speed S the runner sleeps (monotonic clock) until
`wall_start + (ts - first_ts) / S` before stepping the engine at ts; with no speed (`--speed
max`) it never sleeps, and the sim clock alone drives the run. The sleeps change when a step
happens, never what it sees: for a replay the outputs of any speed are identical over the
same data window. A live venue is replay at speed 1 whose first_ts is the wall time; there a
late runner skips the missed decision points instead of replaying them.

The engine reads its time from its clock; the runner sets it. A SimClock (replays, and the
tests' live venues) is moved to each grid point; a wall clock (a real venue) is read, so the
engine decides at the wall time the decision actually runs.

The run ends when the data ends, when the window of local time is used up, or when stop() is
called (SIGTERM/SIGINT through the asyncio loop's signal handlers). Then the runner cancels
every resting order (past the risk gate), lets the venue answer - cancelling again any order
whose ack was still in flight - until no order is working or `settle_ns` passed, and flushes
the journal. Before each step the runner polls the kill-switch flag file (engine/kill_switch.py);
after it, a tripped kill switch (flag file or kill()) cancels what rests,
so quoting stops within one decision: the risk gate already denies every place and replace.
A live venue's quote block (its clock/book/stream guards, `quote_block`) does the same for
that decision: its market view has no sizes, so nothing is decided, and what rests is
canceled. A live venue's session (connect, streams) is started and closed inside the
runner's asyncio loop (`run_live(runner, session)`). With a Leadership (ha/, docs/HA.md) the
runner asks it before each decision; a standby decides nothing (its block is E_HA_STANDBY)
and, after the shutdown's cancels, the lease is released.

Every `every_s` wall seconds (loop time, at any speed) the runner prints one STATUS line
(`status_line`): the decision's time - the data's for a replay, the wall's on a live venue -
position, PnL (cash flow plus position at the mid), working orders, fills, and the code of
the last error it saw (a quote block, an after-step risk record, the kill switch). A book of
several symbols prints one line per symbol, each naming its symbol; the kill switch, the
shutdown and the working-order count cover every symbol.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from mmbot.artifacts import utc_iso
from mmbot.core.clock import SimClock
from mmbot.core.text import error_code
from mmbot.engine.book import SymbolBook
from mmbot.engine.journal import Journal
from mmbot.engine.kill_switch import KillSwitchFile
from mmbot.engine.loop import Engine

SPEED_MAX: Final = "max"
_NS_PER_S: Final = 1_000_000_000
_YIELD_EVERY: Final = 256  # at max speed, give signal handlers a turn this often
_FLUSH_EVERY_S: Final = 5.0  # paced runs: flush the journal this often (wall seconds)
_STANDBY: Final = "E_HA_STANDBY: another instance holds the leader lease"


@dataclass(frozen=True, slots=True)
class StatusEvery:
    """Print the run's STATUS line through emit every every_s wall seconds."""

    mode: str
    every_s: float
    emit: Callable[[str], None]

    def __post_init__(self) -> None:
        if not (self.every_s > 0 and math.isfinite(self.every_s)):
            raise ValueError(f"--status-every-s value={self.every_s} expected=a number > 0")


@dataclass(frozen=True, slots=True)
class Pacing:
    """How decision points map to wall time and where the run stops.

    speed: local seconds per wall second (None: as fast as possible); window_ns: stop before
    the first decision at or past first_ts + window_ns (None: run until the data ends or a
    stop); live_venue: the venue lives in wall time - the runner jumps over decision points
    it is late for and, at shutdown, waits in wall time for the venue's answers (a replay
    must never skip, or speeds would differ in output, and its answers come in sim time);
    status: print a STATUS line this often in wall seconds (None: silent).
    """

    speed: float | None = None
    window_ns: int | None = None
    live_venue: bool = False
    settle_ns: int = 5 * _NS_PER_S
    status: StatusEvery | None = None

    def __post_init__(self) -> None:
        if self.speed is not None and not self.speed > 0:
            raise ValueError(f"speed must be > 0 or None (max), got {self.speed}")
        if self.window_ns is not None and self.window_ns <= 0:
            raise ValueError(f"window_ns must be > 0, got {self.window_ns}")


def parse_speed(text: str) -> float | None:
    """Return the speed of `--speed`: a positive number, or None for "max"."""
    if text.strip().lower() == SPEED_MAX:
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = float("nan")
    if not speed > 0 or speed == float("inf"):
        raise ValueError(f"--speed value={text!r} expected=a number > 0 or 'max'")
    return speed


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a live run ended."""

    stop_reason: str  # data_end | window | venue_closed | signal:<NAME> | stop:<why>
    decisions: int
    shutdown_cancels: int
    working_orders_left: int

    def payload(self) -> dict[str, object]:
        """Return the outcome as plain values for a report."""
        return {
            "decisions": self.decisions,
            "shutdown_cancels": self.shutdown_cancels,
            "stop_reason": self.stop_reason,
            "working_orders_left": self.working_orders_left,
        }


@dataclass(frozen=True, slots=True)
class Status:
    """A live run's state at one decision, as the STATUS line shows it."""

    ts_ns: int  # the decision's local time
    mode: str
    position_lots: int
    pnl_usd: float  # realised + unrealised: cash flow plus the position at the mid
    working_orders: int
    fills: int
    last_error: str = ""  # the E_* code of the last error seen; "" when none
    symbol: str = ""  # the line's symbol in a book of several ("": no field)


def status_line(status: Status) -> str:
    """Return the one-line, ASCII STATUS text of status (fields always in this order)."""
    pnl_usd = round(status.pnl_usd, 2) + 0.0  # never "-0.00"
    symbol = f" symbol={status.symbol}" if status.symbol else ""
    return (
        f"STATUS ts={utc_iso(status.ts_ns)} mode={status.mode}{symbol} "
        f"pos_lots={status.position_lots} pnl_usd={pnl_usd:.2f} "
        f"working={status.working_orders} fills={status.fills} "
        f"last_error={status.last_error or '-'}"
    )


class Leadership(Protocol):
    """Which of several instances quotes (ha/): asked before every decision. A standby's
    fenced ports show no sizes, so its engine decides nothing (as under a quote block) while
    its venue catches up and its run records the market."""

    def on_decision(self, engine: Engine) -> bool:
        """Renew or win the lease, acting on a change; return whether this instance quotes."""
        ...

    def release(self) -> None:
        """Give the lease up (after the shutdown cancels)."""
        ...


class VenueSession(Protocol):
    """A live venue's connection: started before the first decision, closed after the last."""

    async def start(self) -> None:
        """Connect, reconcile, start the streams."""
        ...

    async def close(self) -> None:
        """Finish requests in flight and disconnect."""
        ...


def working_orders(engine: Engine) -> int:
    """Return how many orders rest (or are on their way) over every symbol of engine."""
    return sum(len(book.open_orders()) for book in engine.books)


def book_status(book: SymbolBook, ts_ns: int, mode: str, last_error: str,
                symbol: str = "") -> Status:  # fmt: skip
    """Return the STATUS of one symbol: its net position, its PnL at the venue's mid, its
    working orders and its fills (every strategy quoting it)."""
    mid_usd = 0.5 * book.venue.exch_mid_ticks_x2 * book.tick_size
    fills = sum(leg.ledger.fills for leg in book.legs)
    return Status(ts_ns, mode, book.position_lots, book.pnl_usd(mid_usd),
                  len(book.open_orders()), fills, last_error, symbol)  # fmt: skip


class _EveryGate:
    """The risk gates of every symbol as one kill-switch latch."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def trip_kill_switch(self, reason: str) -> None:
        """Trip every symbol's gate."""
        for book in self._engine.books:
            book.risk.trip_kill_switch(reason)

    @property
    def kill_switch_active(self) -> bool:
        """Return whether any symbol's gate is tripped."""
        return any(book.risk.kill_switch_active for book in self._engine.books)


class LiveRunner:
    """Step an engine on its decision grid under a pacing; shut down cleanly on stop()."""

    def __init__(
        self,
        engine: Engine,
        journal: Journal,
        pacing: Pacing,
        on_step: Callable[[int], None] | None = None,
        quote_block: Callable[[], str | None] | None = None,
        kill_switch: KillSwitchFile | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        self.engine = engine
        self.leadership = leadership
        self.journal = journal
        self.pacing = pacing
        self.on_step = on_step
        self.quote_block = quote_block
        self.kill_switch = kill_switch
        self._gates = _EveryGate(engine)
        self._stop_reason: str | None = None
        self._wake = asyncio.Event()
        self._last_error = ""
        self._risk_records_seen = [0] * len(engine.books)
        self._next_status_s = 0.0

    def stop(self, reason: str) -> None:
        """Ask the run to end before its next decision (signal handlers call this)."""
        if self._stop_reason is None:
            self._stop_reason = reason
        self._wake.set()

    def kill(self, reason: str) -> None:
        """Trip the kill switch: no new orders from the next decision, resting ones canceled."""
        self._gates.trip_kill_switch(reason)

    async def _sleep_until(self, due_s: float, interruptible: bool = True) -> None:
        delay = due_s - asyncio.get_running_loop().time()
        if delay <= 0:
            return
        if not interruptible:
            await asyncio.sleep(delay)
            return
        if self._stop_reason is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def _due_s(self, wall_start_s: float, first_ts_ns: int, ts_ns: int) -> float:
        speed = self.pacing.speed
        assert speed is not None
        return wall_start_s + (ts_ns - first_ts_ns) / _NS_PER_S / speed

    async def run(self) -> RunOutcome:
        """Run until the data or window ends or stop() is called; then shut down."""
        engine, pacing = self.engine, self.pacing
        interval = engine.params.decision_interval_ns
        loop = asyncio.get_running_loop()
        first_ts = ts = engine.first_ts_ns()
        end_ts = None if pacing.window_ns is None else first_ts + pacing.window_ns
        wall_start = next_flush = loop.time()
        self._next_status_s = wall_start + (pacing.status.every_s if pacing.status else 0.0)
        decisions, last_ts, reason = 0, first_ts, "data_end"
        while True:
            if self._stop_reason is not None:
                reason = self._stop_reason
                break
            if end_ts is not None and ts >= end_ts:
                reason = "window"
                break
            if pacing.speed is None:
                if decisions % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            else:
                await self._sleep_until(self._due_s(wall_start, first_ts, ts))
                if self._stop_reason is not None:
                    continue
                if pacing.live_venue:
                    late_ns = int((loop.time() - wall_start) * pacing.speed * _NS_PER_S)
                    ts = max(ts, first_ts + late_ns // interval * interval)
            alive = self._step_at(ts)
            decisions, last_ts = decisions + 1, ts
            if pacing.speed is not None and loop.time() >= next_flush:
                self.journal.flush()
                next_flush = loop.time() + _FLUSH_EVERY_S
            if not alive:
                reason = "venue_closed" if pacing.live_venue else "data_end"
                break
            ts += interval
        cancels = await self._shutdown(last_ts, wall_start, first_ts)
        if self.leadership is not None:
            self.leadership.release()
        self.journal.flush()
        return RunOutcome(reason, decisions, cancels, working_orders(engine))

    def _step_at(self, ts_ns: int) -> bool:
        """Run the decision of grid point ts_ns and what follows it; False once data ended."""
        engine = self.engine
        if self.kill_switch is not None:
            self.kill_switch.poll(self._gates)
        now_ns = self._set_time(ts_ns)
        standby = self.leadership is not None and not self.leadership.on_decision(engine)
        alive = engine.step()
        block = None if self.quote_block is None else self.quote_block()
        if standby and block is None:
            block = _STANDBY
        if block is not None or self._gates.kill_switch_active:
            engine.cancel_all()
        if self.on_step is not None:
            self.on_step(now_ns)
        self._report_status(now_ns, block, asyncio.get_running_loop().time())
        return alive

    def _set_time(self, ts_ns: int) -> int:
        """Make grid point ts_ns the engine's time (a SimClock moves; a wall clock is read);
        return the engine's time."""
        clock = self.engine.clock
        if isinstance(clock, SimClock):
            clock.advance_to(ts_ns)
        return clock.now_ns()

    def _report_status(self, ts_ns: int, block: str | None, now_s: float) -> None:
        """Note the step's errors; print the STATUS line when it is due (wall seconds)."""
        every = self.pacing.status
        if every is None:
            return
        books = self.engine.books
        for index, book in enumerate(books):
            risk_records = book.record.risk_records
            if len(risk_records) > self._risk_records_seen[index]:
                self._risk_records_seen[index] = len(risk_records)
                self._last_error = risk_records[-1].code
        if self._gates.kill_switch_active:
            self._last_error = "E_RISK_KILL_SWITCH"
        if block is not None:
            self._last_error = error_code(block)
        if now_s < self._next_status_s:
            return
        self._next_status_s = now_s + every.every_s
        if len(books) == 1:
            every.emit(status_line(book_status(books[0], ts_ns, every.mode, self._last_error)))
            return
        for book in books:
            status = book_status(book, ts_ns, every.mode, self._last_error, book.symbol)
            every.emit(status_line(status))

    async def _shutdown(self, ts_ns: int, wall_start_s: float, first_ts_ns: int) -> int:
        """Cancel what rests and let the venue answer; return the cancels sent."""
        engine = self.engine
        interval = engine.params.decision_interval_ns
        cancels = engine.cancel_all()
        deadline = ts_ns + self.pacing.settle_ns
        while working_orders(engine) and ts_ns < deadline:
            ts_ns += interval
            if self.pacing.live_venue and self.pacing.speed is not None:
                due_s = self._due_s(wall_start_s, first_ts_ns, ts_ns)
                await self._sleep_until(due_s, interruptible=False)
            self._set_time(ts_ns)
            engine.settle()
            cancels += engine.cancel_all()
        return cancels


async def run_with_signals(runner: LiveRunner, session: VenueSession | None = None,
                           on_started: Callable[[], None] | None = None) -> RunOutcome:  # fmt: skip
    """Run runner with SIGTERM and SIGINT turned into a clean stop; start/close session.

    on_started is called once the session started (a refused start never calls it), just
    before the first decision."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, runner.stop, f"signal:{sig.name}")
    try:
        if session is None:
            if on_started is not None:
                on_started()
            return await runner.run()
        try:
            await session.start()
            if on_started is not None:
                on_started()
            return await runner.run()
        finally:
            await session.close()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def run_live(runner: LiveRunner, session: VenueSession | None = None,
             on_started: Callable[[], None] | None = None) -> RunOutcome:  # fmt: skip
    """Run runner in a fresh asyncio loop with signal handling; return how it ended."""
    return asyncio.run(run_with_signals(runner, session, on_started))
