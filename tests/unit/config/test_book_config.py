"""The book sections: `portfolio` and `strategies` resolve to legs; bad books get one line."""

from __future__ import annotations

from typing import Any

import pytest

from mmbot.config import EMBEDDED, load_config, validate_document
from mmbot.config.book import book_of
from mmbot.core.errors import ConfigError

BTC = {"symbol": "BTCUSDT", "tick_size": 0.1, "lot_size": 0.001, "data": "d/BTCUSDT.parquet"}
ETH = {"symbol": "ETHUSDT", "tick_size": 0.01, "lot_size": 0.01, "max_position_usd": 4000.0,
       "max_skew_usd": 3000.0}  # fmt: skip
BOOK: dict[str, Any] = {
    "portfolio": {"instruments": [BTC, ETH], "risk": {"max_net_delta_usd": 9000.0}},
    "strategies": [
        {"id": "glft", "model": "glft", "symbols": ["BTCUSDT", "ETHUSDT"]},
        {"id": "fixed_spread", "model": "fixed_spread", "symbols": ["BTCUSDT"],
         "params": {"order_qty_lots": 4, "signals": {"enabled": False}}},
    ],
}  # fmt: skip


def _error(document: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        validate_document(document, "book.yaml")
    line = info.value.line()
    assert "\n" not in line and line.isascii() and line.startswith("E_CFG_")
    return line


def test_a_book_resolves_to_instruments_strategies_and_legs() -> None:
    book = book_of(validate_document(BOOK, "book.yaml"))
    assert book.symbols == ("BTCUSDT", "ETHUSDT") and book.is_portfolio and book.legs == 3
    assert [s.id for s in book.strategies_of("BTCUSDT")] == ["glft", "fixed_spread"]
    assert [s.id for s in book.strategies_of("ETHUSDT")] == ["glft"]
    fixed = book.strategies[1].config
    assert (fixed.model, fixed.order_qty_lots, fixed.signals.enabled) == ("fixed_spread", 4, False)
    assert book.strategies[0].config.order_qty_lots == 10  # the strategy section's
    eth = book.instrument("ETHUSDT")
    assert (eth.max_position_usd, eth.max_skew_usd, eth.data) == (4000.0, 3000.0, None)
    btc = book.instrument("BTCUSDT")  # the risk section's caps where the symbol sets none
    assert (btc.max_position_usd, btc.max_skew_usd, btc.data) == (10_000.0, 7500.0, BTC["data"])


def test_a_one_symbol_config_is_a_portfolio_of_one_with_an_unchanged_sha256() -> None:
    effective = load_config(None, {})
    book = book_of(effective.config)
    assert not book.is_portfolio and book.legs == 1
    assert book.strategies[0].id == effective.config.strategy.model
    assert '"portfolio"' not in effective.describe().text
    assert effective.describe().sha256 == load_config(None, {}).describe().sha256
    assert EMBEDDED


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"instrument": {"symbol": "X"}}, "key=instrument value=\"set\""),
        ({"strategies": None}, "key=strategies value=null expected=given when the portfolio"),
        ({"strategies": [{"id": "glft", "model": "glft", "symbols": ["SOLUSDT"]}]},
         "key=strategies.0.symbols value=\"SOLUSDT\""),
        ({"strategies": [{"id": "glft", "model": "glft", "symbols": ["BTCUSDT"]}]},
         "key=strategies value=\"ETHUSDT\" expected=to quote every portfolio symbol"),
        ({"strategies": [{"id": "Glft-1", "model": "glft", "symbols": ["BTCUSDT"]}]},
         "key=strategies.0.id"),
        ({"strategies": [*BOOK["strategies"], {"id": "glft", "model": "glft",
                                               "symbols": ["ETHUSDT"]}]},
         "key=strategies.2.id value=\"glft\" expected=unique"),
        ({"mux": {"caps": {"avellaneda_stoikov": 0.5, "fixed_spread": 0.4, "glft": 0.5},
                  "weights": {r: {"avellaneda_stoikov": 1.0, "fixed_spread": 1.0, "glft": 1.0}
                              for r in ("calm", "trend", "volatile")}}},
         "key=mux.caps value=0.9 expected=>=1 in sum over BTCUSDT's strategies"),
        ({"strategies": [{"id": "mine", "model": "glft", "symbols": ["BTCUSDT", "ETHUSDT"]},
                         {"id": "glft", "model": "glft", "symbols": ["BTCUSDT"]}]},
         "key=mux.caps value=\"mine\" expected=a cap and weights for BTCUSDT's strategies"),
        ({"portfolio": {"instruments": [BTC, {**ETH, "max_skew_usd": 5000.0}]}},
         "key=portfolio.instruments.1.max_skew_usd value=5000.0"),
        ({"portfolio": {"instruments": [BTC, BTC]}},
         "key=portfolio.instruments.1.symbol value=\"BTCUSDT\" expected=unique"),
        ({"strategies": [{"id": "glft", "model": "glft", "symbols": ["BTCUSDT", "ETHUSDT"],
                          "params": {"decision_interval_ms": 50}}]},
         "E_CFG_UNKNOWN_KEY: key=strategies.0.params.decision_interval_ms"),
        ({"strategies": [{"id": "glft", "model": "glft", "symbols": ["BTCUSDT", "ETHUSDT"],
                          "params": {"risk_aversion": -1.0}}]},
         "E_CFG_RANGE: key=strategies.0.params.risk_aversion value=-1.0"),
    ],
)  # fmt: skip
def test_a_bad_book_gets_one_line_naming_the_key(change: dict[str, Any], fragment: str) -> None:
    assert fragment in _error({**BOOK, **change})
