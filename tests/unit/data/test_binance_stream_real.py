"""Import checks on the real Binance USD-M recordings (the excerpt always, the full files when
present): the book rebuilt from the diffs is never crossed and equals every bookTicker with
the same update id, prices and sizes are on the venue's grid, `data info` reports the import.

The tickers are checked twice: by the importer (in exchange order, as it writes the events)
and by an independent rebuild below that follows Binance's rules in arrival order (buffering
diffs until the snapshot) and compares in exact decimals.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from tests.unit.data.realkit import (
    EXCERPT_DIR,
    FULL_DIR,
    FULL_SKIP_REASON,
    SYMBOLS,
    Recording,
    full_present,
    recording_params,
)

from mmbot.data import (
    KIND_TRADE,
    StreamImportReport,
    describe,
    import_binance_stream,
    info,
    load_events,
    usdm_instrument,
)


@dataclass
class _DiffOnlyBook:
    """Binance's rules in arrival order, over decimal prices: the oracle of the ticker check."""

    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    buffered: list[dict[str, object]] = field(default_factory=list)
    last_id: int | None = None
    tops: dict[int, tuple[Decimal, ...]] = field(default_factory=dict)  # book top by its id
    tickers: dict[int, tuple[Decimal, ...]] = field(default_factory=dict)

    def snapshot(self, payload: dict[str, object]) -> None:
        self.bids = {Decimal(p): Decimal(q) for p, q in payload["bids"]}  # type: ignore[union-attr]
        self.asks = {Decimal(p): Decimal(q) for p, q in payload["asks"]}  # type: ignore[union-attr]
        self.last_id = int(str(payload["lastUpdateId"]))
        self._keep_top()
        kept = [d for d in self.buffered if int(str(d["u"])) >= self.last_id]
        assert int(str(kept[0]["U"])) <= self.last_id, "the first diff must straddle the snapshot"
        for diff in kept:
            self._apply(diff)

    def diff(self, payload: dict[str, object]) -> None:
        if self.last_id is None:
            self.buffered.append(payload)
            return
        assert payload["pu"] == self.last_id, f"gap at u={payload['u']}"
        self._apply(payload)

    def _apply(self, payload: dict[str, object]) -> None:
        for side, levels in ((self.bids, payload["b"]), (self.asks, payload["a"])):
            for price, qty in levels:  # type: ignore[attr-defined]
                if Decimal(qty) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = Decimal(qty)
        self.last_id = int(str(payload["u"]))
        self._keep_top()

    def _keep_top(self) -> None:
        bid, ask = max(self.bids), min(self.asks)
        assert bid < ask, f"crossed at id {self.last_id}"
        assert self.last_id is not None
        self.tops[self.last_id] = (bid, self.bids[bid], ask, self.asks[ask])

    def ticker(self, payload: dict[str, object]) -> None:
        fields = (payload["b"], payload["B"], payload["a"], payload["A"])
        self.tickers[int(str(payload["u"]))] = tuple(Decimal(str(v)) for v in fields)

    def checked(self) -> tuple[int, int]:
        """Return (tickers whose id is a book state's, of them equal to that state's top)."""
        same_id = [u for u in self.tickers if u in self.tops]
        return len(same_id), sum(self.tickers[u] == self.tops[u] for u in same_id)


def _oracle(paths: list[Path]) -> tuple[_DiffOnlyBook, int]:
    book, trades = _DiffOnlyBook(), 0
    for path in paths:
        with gzip.open(path, "rt") as handle:
            for line in handle:
                message = json.loads(line.split(" ", 1)[1])
                payload = message.get("data", message)
                if "lastUpdateId" in payload:
                    book.snapshot(payload)
                elif payload["e"] == "depthUpdate":
                    book.diff(payload)
                elif payload["e"] == "bookTicker":
                    book.ticker(payload)
                elif payload["e"] == "trade":
                    trades += 1
    return book, trades


@dataclass(frozen=True)
class _Imported:
    """A recording and, per symbol, the import's report and event file."""

    recording: Recording
    reports: dict[str, StreamImportReport]
    outs: dict[str, Path]


@pytest.fixture(scope="module", params=recording_params())
def imported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> _Imported:
    recording: Recording = request.param
    folder = tmp_path_factory.mktemp(recording.name)
    outs = {symbol: folder / f"{symbol}.parquet" for symbol in SYMBOLS}
    reports = {
        symbol: import_binance_stream(
            recording.files[symbol], usdm_instrument(symbol), outs[symbol]
        )
        for symbol in SYMBOLS
    }
    return _Imported(recording, reports, outs)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_real_book_never_crossed_and_equal_to_every_ticker_of_its_id(
    imported: _Imported, symbol: str
) -> None:
    figures = imported.reports[symbol].figures()

    oracle, trades = _oracle(imported.recording.files[symbol])
    same_id, equal = oracle.checked()

    # Strict mode got here: no gap, no crossed book, no ticker mismatch, every price and size
    # on the grid (each would have been a one-line error).
    assert figures["sequence_gaps"] == 0 and figures["crossed_after_diff"] == 0
    assert figures["tickers_checked"] == same_id > 50  # tickers carry a diff's id rarely
    assert figures["ticker_mismatches"] == 0 and equal == same_id
    assert figures["messages_trade"] == figures["trades_written"] == trades
    assert figures["dropped_total"] == 0 and figures["snapshots_used"] == 1
    described = info(imported.outs[symbol])
    assert described.crossed_events == 0 and described.rows_trade == trades


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_real_clock_offset_near_the_published_one_and_no_event_before_its_time(
    imported: _Imported, symbol: str
) -> None:
    figures = imported.reports[symbol].figures()
    events, meta = load_events(imported.outs[symbol])

    offset_ns = int(str(figures["clock_offset_ns"]))
    assert -1_530_000_000 < offset_ns < -1_510_000_000  # README: ~1.52 s behind
    latency_ns = events.ts_local_ns - events.ts_exch_ns
    assert latency_ns.min() >= 0  # local = recorded - offset >= E >= T
    assert np.median(latency_ns) < 100_000_000
    assert (meta.venue, meta.symbol) == ("binance-usdm", symbol)
    trades = events.take(events.kind == KIND_TRADE)
    assert trades.qty_lots.min() > 0 and trades.price_ticks.min() > 0


def test_real_data_info_reports_counts_offset_and_gaps(imported: _Imported) -> None:
    for symbol in SYMBOLS:
        lines = describe([imported.outs[symbol]]).lines()
        report = imported.reports[symbol].figures()
        assert f"import_clock_offset_ns={report['clock_offset_ns']}" in lines
        assert "import_sequence_gaps=0" in lines and "import_ticker_mismatches=0" in lines
        assert f"import_messages_diff={report['messages_diff']}" in lines
        assert f"import_tickers_checked={report['tickers_checked']}" in lines


@pytest.mark.skipif(not full_present(), reason=FULL_SKIP_REASON)
def test_excerpt_is_what_the_tool_cuts_from_the_full_files() -> None:
    from tools.make_stream_excerpt import DEFAULT_SECONDS, excerpt_bytes

    for symbol in SYMBOLS:
        made = excerpt_bytes(FULL_DIR, symbol.lower(), DEFAULT_SECONDS)
        shipped = (EXCERPT_DIR / f"{symbol.lower()}_excerpt.gz").read_bytes()
        assert gzip.decompress(made) == gzip.decompress(shipped), symbol  # zlib may differ
    assert (EXCERPT_DIR / "LICENSE").read_bytes() == (FULL_DIR / "LICENSE").read_bytes()
