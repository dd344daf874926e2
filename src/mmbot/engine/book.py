"""What the engine holds per symbol and per (strategy, symbol): the book's parts.

A SymbolBook is one symbol: its venue port (one connection, shared by the strategies quoting
the symbol), its risk gate, its mux (when 2+ strategies share it) and the records of its
decision points. A Leg is one strategy quoting one symbol: its parameters, its fold state, its
own orders and its own ledger (so every fill is attributed to the strategy whose order it
filled). The symbol's position is the sum of its legs' positions; the risk gate sees that net
and every leg's resting orders.

Several strategies on one symbol quote separate orders (docs/ALLOC_MUX.md says why); they must
never trade with each other, so before a leg's quote becomes orders it is clamped inside the
walls of the other legs: its bid strictly below every price an ask of theirs may rest at, its
ask strictly above every bid (`clamp_to_walls`), prices of replaces still in flight included.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from mmbot.core.events import OrderEvent
from mmbot.core.types import BUY, MarketView, Quote
from mmbot.engine.ledger import Ledger
from mmbot.engine.orders import ClientSeqs, ExecutionPolicy, OrderManager
from mmbot.risk import OpenOrder, RiskGate, RiskRecord
from mmbot.strategy import DecideFn, StrategyParams, StrategyState, decide, initial_state
from mmbot.strategy.mux import Mux
from mmbot.strategy.trace import DecisionTrace


class EngineVenue(Protocol):
    """What the engine needs of a venue: market data, order entry, order events (one symbol).

    Implemented by venues/sim/port.py's SimVenuePort and the live modes' ports (engine/live_*).
    Every port translates what its venue says into core.events.OrderEvent; position, cash
    and fills are the engine's own (its legs' ledgers), never read from the venue.
    """

    def run_until(self, ts_ns: int) -> bool: ...
    def first_ts_ns(self) -> int: ...
    def market_view(self, ts_ns: int) -> MarketView: ...
    def reports(self) -> list[OrderEvent]: ...
    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int: ...
    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None: ...
    def cancel(self, order_id: int) -> None: ...
    @property
    def exch_mid_ticks_x2(self) -> int: ...
    @property
    def effective_fee_bps(self) -> float: ...
    @property
    def fee_tier_distance_usd(self) -> float: ...


# No wall: further than any price.
_NO_BID_WALL = -(1 << 62)
_NO_ASK_WALL = 1 << 62


class DayBook(NamedTuple):
    """Where a UTC day started: equity, traded notional and orders sent (the day caps)."""

    day: int = -1
    equity_start_usd: float = 0.0
    notional_start_usd: float = 0.0
    orders_start: int = 0


@dataclass(slots=True)
class EngineRecord:
    """What a symbol's decision points leave besides the fills: mids, risk records, traces.

    risk_records: every record of the symbol's risk gate, in order; denials: how many actions
    it denied, by E_RISK_* code (the run directory's risk_records.csv and risk_denials.csv).
    """

    # A series per decision point: int64 arrays, not lists (8 bytes a value, not ~36), so a
    # streamed run of a week stays in memory.
    mid_ts_ns: array[int] = field(default_factory=lambda: array("q"))
    mid_ticks_x2: array[int] = field(default_factory=lambda: array("q"))
    risk_records: list[RiskRecord] = field(default_factory=list)
    denials: dict[str, int] = field(default_factory=dict)
    traces: list[DecisionTrace] = field(default_factory=list)
    inventory_lots: array[int] = field(default_factory=lambda: array("q"))
    quotes: list[tuple[int, Quote | None]] = field(default_factory=list)  # (ts_ns, wanted)
    decisions: int = 0

    @property
    def risk_lines(self) -> list[str]:
        """Return the risk records as `E_RISK_<WHAT>: ts_ns=<ts> <detail>` lines."""
        return [record.line() for record in self.risk_records]


class Leg:
    """One strategy quoting one symbol.

    decide: the strategy, called at each of the leg's decision points (the strategy port,
    mmbot.strategy.DecideFn): the built-in compiled one unless a plain-Python one is given.
    """

    __slots__ = (
        "budget_lots", "decide", "key", "ledger", "orders", "params", "state", "strategy_id",
        "symbol", "weight",
    )  # fmt: skip

    def __init__(
        self,
        strategy_id: str,
        symbol: str,
        params: StrategyParams,
        execution: ExecutionPolicy,
        seqs: ClientSeqs,
        decide: DecideFn = decide,
    ) -> None:
        self.strategy_id = strategy_id
        self.decide = decide
        self.symbol = symbol
        self.key = f"{strategy_id}@{symbol}"  # the allocator's key
        self.params = params
        self.state: StrategyState = initial_state(params)
        self.orders = OrderManager(strategy_id, execution, seqs)
        self.ledger = Ledger(params.tick_size, params.lot_size)
        self.budget_lots = 0
        self.weight = 1.0  # the mux's weight of this strategy on its symbol


class SymbolBook:
    """One symbol: venue port, risk gate, mux, legs, records, day counters."""

    __slots__ = (
        "day", "legs", "lot_size", "mid_usd", "mux", "record", "risk", "symbol", "tick_size",
        "venue", "view",
    )  # fmt: skip

    def __init__(
        self,
        symbol: str,
        venue: EngineVenue,
        risk: RiskGate,
        legs: Sequence[Leg],
        mux: Mux | None,
    ) -> None:
        if not legs:
            raise ValueError(f"symbol={symbol}: a book needs at least one strategy")
        self.symbol = symbol
        self.venue = venue
        self.risk = risk
        self.legs = tuple(legs)
        self.mux = mux
        self.tick_size = legs[0].params.tick_size
        self.lot_size = legs[0].params.lot_size
        self.record = EngineRecord()
        self.day = DayBook()
        self.mid_usd = 0.0  # the last two-sided mid (0 before the first)
        self.view: MarketView | None = None  # this step's view when two-sided, else None

    @property
    def position_lots(self) -> int:
        """Return the symbol's net position: the sum of its legs'."""
        legs = self.legs
        if len(legs) == 1:
            return legs[0].ledger.position_lots
        return sum(leg.ledger.position_lots for leg in legs)

    def pnl_usd(self, mid_usd: float) -> float:
        """Return the symbol's cash plus its net position marked at mid_usd."""
        legs = self.legs
        if len(legs) == 1:
            ledger = legs[0].ledger
            return ledger.cash_usd + ledger.position_lots * self.lot_size * mid_usd
        cash = sum(leg.ledger.cash_usd for leg in legs)
        return cash + self.position_lots * self.lot_size * mid_usd

    @property
    def notional_usd(self) -> float:
        """Return the notional the symbol traded."""
        legs = self.legs
        if len(legs) == 1:
            return legs[0].ledger.notional_usd
        return sum(leg.ledger.notional_usd for leg in legs)

    @property
    def quotes_placed_total(self) -> int:
        """Return how many orders the symbol's legs placed."""
        legs = self.legs
        if len(legs) == 1:
            return legs[0].orders.quotes_placed_total
        return sum(leg.orders.quotes_placed_total for leg in legs)

    def open_orders(self) -> dict[str, OpenOrder]:
        """Return every leg's resting orders (client ids differ by strategy)."""
        legs = self.legs
        if len(legs) == 1:
            return legs[0].orders.open_orders()
        resting: dict[str, OpenOrder] = {}
        for leg in legs:
            resting.update(leg.orders.open_orders())
        return resting

    def leg_of(self, event: OrderEvent) -> Leg:
        """Return the leg a report is about: by client sequence, else by venue order id, else
        the first leg (a fill of an order no strategy of this session sent is booked there)."""
        legs = self.legs
        if len(legs) == 1:
            return legs[0]
        for leg in legs:
            if leg.orders.sent(event.order_id, event.client_seq):
                return leg
        return legs[0]

    def walls(self, leg: Leg) -> tuple[int, int]:
        """Return (highest bid, lowest ask) the other legs may rest at (no wall: far away)."""
        bid_wall, ask_wall = _NO_BID_WALL, _NO_ASK_WALL
        for other in self.legs:
            if other is leg:
                continue
            for side, price_ticks in other.orders.working_prices():
                if side == BUY:
                    bid_wall = max(bid_wall, price_ticks)
                else:
                    ask_wall = min(ask_wall, price_ticks)
        return bid_wall, ask_wall


def clamp_to_walls(quote: Quote, bid_wall: int, ask_wall: int) -> tuple[Quote, int]:
    """Return quote with its bid strictly below ask_wall and its ask strictly above bid_wall,
    and how many sides were moved (a side of 0 lots rests nothing and is never moved)."""
    bid_ticks, ask_ticks = quote.bid_ticks, quote.ask_ticks
    moved = 0
    if quote.bid_lots > 0 and bid_ticks >= ask_wall:
        bid_ticks, moved = ask_wall - 1, moved + 1
    if quote.ask_lots > 0 and ask_ticks <= bid_wall:
        ask_ticks, moved = bid_wall + 1, moved + 1
    if not moved:
        return quote, 0
    return Quote(bid_ticks, ask_ticks, quote.bid_lots, quote.ask_lots), moved
