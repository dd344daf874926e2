"""A port shared by several strategies: the journal names each order as the order manager
that drew its number did; lines and STATUS name the symbol only in a book of several."""

from __future__ import annotations

import pytest

from mmbot.engine.journal import Journal, JournalEntry
from mmbot.engine.live import Status, status_line
from mmbot.engine.live_ports import OrderNames
from mmbot.engine.orders import SEQS_PER_SESSION, ClientSeqs, OrderManager

pytestmark = pytest.mark.selected


def test_order_names_name_each_number_after_the_strategy_that_drew_it() -> None:
    names = OrderNames("glft", "BTCUSDT")
    glft = OrderManager("glft", seqs=names.seqs)
    fixed = OrderManager("fixed_spread", seqs=names.seqs)
    drawn = [glft.next_client_id(), fixed.next_client_id(), glft.next_client_id()]
    assert drawn == ["glft-1", "fixed_spread-2", "glft-3"]  # one sequence for the port
    assert [names.client_id(seq) for seq in (1, 2, 3)] == drawn
    assert names.client_id(9) == "glft-9"  # no strategy drew it: the symbol's first one
    assert ClientSeqs().client_id_of(1) is None  # a backtest's numbers keep no names


def test_order_names_start_the_shared_sequence_at_the_session_epoch() -> None:
    names = OrderNames("a")
    first = OrderManager("a", seqs=names.seqs)
    second = OrderManager("b", seqs=names.seqs)
    first.start_session(2)
    second.start_session(2)  # every leg of the port starts it; before numbering that is one
    assert second.next_client_id() == f"b-{2 * SEQS_PER_SESSION + 1}"
    assert first.next_client_id() == f"a-{2 * SEQS_PER_SESSION + 2}"
    with pytest.raises(RuntimeError, match="after an order was numbered"):
        first.start_session(3)


def test_journal_line_names_the_symbol_only_when_given() -> None:
    journal = Journal(None, session=1)
    journal.append(JournalEntry(5, "place", "glft-1", 1, 99, 3, symbol="ETHUSDT"))
    journal.append(JournalEntry(6, "place", "glft-2", -1, 101, 3))
    first, second = journal.render().splitlines()
    assert first.endswith(b'"side":"buy","symbol":"ETHUSDT","ts_ns":5}')
    assert b"symbol" not in second


def test_status_line_names_the_symbol_after_the_mode_only_when_given() -> None:
    status = Status(0, "shadow", -2, 1.5, 1, 4, "", "ETHUSDT")
    assert status_line(status) == (
        "STATUS ts=1970-01-01T00:00:00Z mode=shadow symbol=ETHUSDT pos_lots=-2 pnl_usd=1.50 "
        "working=1 fills=4 last_error=-"
    )
    one_symbol = Status(0, "shadow", -2, 1.5, 1, 4)
    assert status_line(one_symbol).startswith(
        "STATUS ts=1970-01-01T00:00:00Z mode=shadow pos_lots="
    )
