"""Binance import: trades/aggTrades with or without header, ms/us times, bookTicker as depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.unit.data.datakit import META, write_csv

from mmbot.core.errors import DataError
from mmbot.data import (
    KIND_DEPTH,
    KIND_TRADE,
    SIDE_ASK,
    SIDE_BID,
    SIDE_BUY,
    SIDE_SELL,
    BookReplay,
    import_binance,
    load_events,
)

TRADES_HEADER = "id,price,qty,quote_qty,time,is_buyer_maker"
TICKER_HEADER = (
    "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time"
)


def test_binance_trades_headerless_ms_and_header_us_agree(tmp_path: Path) -> None:
    plain = write_csv(
        tmp_path / "ms.csv",
        [
            "1,100.1,0.5,50.05,1700000000000,true,true",
            "2,100.2,0.25,25.05,1700000000001,False,True",
        ],
    )
    header = write_csv(
        tmp_path / "us.csv.gz",
        [
            TRADES_HEADER,
            "1,100.1,0.5,50.05,1700000000000000,true",
            "2,100.2,0.25,25.05,1700000000001000,false",
        ],
    )

    import_binance(plain, "trades", META, tmp_path / "a.parquet")
    import_binance(header, "trades", META, tmp_path / "b.parquet")
    events, _ = load_events(tmp_path / "a.parquet")

    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert events.kind.tolist() == [KIND_TRADE, KIND_TRADE]
    assert events.side.tolist() == [SIDE_SELL, SIDE_BUY]  # buyer maker -> the taker sold
    assert events.ts_exch_ns.tolist() == [1_700_000_000_000_000_000, 1_700_000_000_001_000_000]
    assert events.price_ticks.tolist() == [1001, 1002]
    assert events.qty_lots.tolist() == [500, 250]


def test_binance_agg_trades_imported(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "agg.csv",
        [
            "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker",
            "7,100.0,1.000,10,12,1700000000000,false",
        ],
    )

    report = import_binance(path, "aggTrades", META, tmp_path / "out.parquet")
    events, _ = load_events(tmp_path / "out.parquet")

    assert report.events_written == 1
    assert events.side.tolist() == [SIDE_BUY]
    assert events.qty_lots.tolist() == [1000]


def test_binance_book_ticker_becomes_top_level_depth(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bt.csv",
        [
            TICKER_HEADER,
            "1,100.0,1,100.1,2,1700000000000,1700000000002",
            "2,100.0,3,100.1,2,1700000000001,1700000000003",  # bid size only
            "3,100.2,1,100.3,1,1700000000002,1700000000004",  # both move up past the old ask
            "4,99.5,1,99.6,1,1700000000003,1700000000005",  # both move down
        ],
    )

    import_binance(path, "bookTicker", META, tmp_path / "out.parquet")
    events, _ = load_events(tmp_path / "out.parquet")
    best_bid, best_ask = BookReplay().tops(events)

    assert set(events.kind.tolist()) == {KIND_DEPTH}
    rows = list(
        zip(
            events.side.tolist(), events.price_ticks.tolist(), events.qty_lots.tolist(), strict=True
        )
    )
    assert rows == [
        (SIDE_ASK, 1001, 2000), (SIDE_BID, 1000, 1000),  # no previous top: a move up
        (SIDE_BID, 1000, 3000),
        (SIDE_ASK, 1003, 1000), (SIDE_ASK, 1001, 0), (SIDE_BID, 1002, 1000), (SIDE_BID, 1000, 0),
        (SIDE_BID, 995, 1000), (SIDE_BID, 1002, 0), (SIDE_ASK, 996, 1000), (SIDE_ASK, 1003, 0),
    ]  # fmt: skip
    both = slice(1, None)
    assert np.all(best_bid[both] < best_ask[both])
    assert events.ts_local_ns[0] - events.ts_exch_ns[0] == 2_000_000


def test_binance_book_ticker_crossed_row_fails(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bt.csv", [TICKER_HEADER, "1,100.1,1,100.1,2,1700000000000,1"])

    with pytest.raises(
        DataError,
        match=r"^E_DATA_CROSSED: file=.* row=1 best_bid_price=100.1 >= best_ask_price=100.1",
    ):
        import_binance(path, "bookTicker", META, tmp_path / "out.parquet")


def test_binance_headerless_too_few_columns_missing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["1,100.1,0.5,50.05,1700000000000"])

    with pytest.raises(DataError, match=r"^E_DATA_MISSING_COLUMNS: .*missing=is_buyer_maker"):
        import_binance(path, "trades", META, tmp_path / "out.parquet")


def test_binance_lenient_counts_and_keeps_good_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            "1,100.1,0.5,50.05,1700000000000,true",
            "2,100.1,-0.5,50.05,1700000000001,true",  # negative
            "3,100.1,0,0,1700000000002,true",  # zero size
            "4,100.1,0.5,50.05,1600000000000,true",  # backwards
            "5,100.1,0.5,50.05,1700000000003,maybe",  # bad flag
            "6,100.1,0.5,50.05,1700000000004,false",
        ],
    )

    report = import_binance(path, "trades", META, tmp_path / "out.parquet", strict=False)

    assert dict(report.dropped) == {
        "E_DATA_BAD_VALUE": 2,
        "E_DATA_NEGATIVE_SIZE": 1,
        "E_DATA_NONMONOTONIC": 1,
    }
    assert report.events_written == 2
    assert report.as_dict()["dropped_total"] == 4


def test_binance_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^E_DATA_FILE_MISSING: file=.*nope.csv row=0"):
        import_binance(tmp_path / "nope.csv", "trades", META, tmp_path / "out.parquet")
