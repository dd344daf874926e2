"""Column positions and codes of the simulator's state arrays.

The compiled code keeps all state in plain int64/float64 arrays (numba cannot cache a
jitclass), so these integers are the one place where a column's meaning is spelled out.
numba freezes module-level ints as compile-time constants.
"""

from __future__ import annotations

from typing import Final

# Integer registers: SimState.regs.
R_QUEUE_MODEL: Final = 0
R_LATENCY_MODEL: Final = 1
R_FEED_LATENCY_NS: Final = 2
R_ENTRY_LATENCY_NS: Final = 3
R_RESPONSE_LATENCY_NS: Final = 4
R_EXCH_CURSOR: Final = 5  # next event the venue has not seen
R_LOCAL_CURSOR: Final = 6  # next event the strategy has not seen
R_NOW_NS: Final = 7  # local time the simulation has reached
R_NEXT_ORDER_ID: Final = 8
R_PRIORITY_SEQ: Final = 9  # time priority handed to orders as they join a queue
R_POSITION_VENUE_LOTS: Final = 10  # truth at the venue
R_POSITION_LOCAL_LOTS: Final = 11  # what the strategy has been told
R_N_ACTIVE: Final = 12  # orders resting at the venue
R_N_FREE: Final = 13  # free order slots
R_REQ_HEAD: Final = 14  # request ring: monotonic counters, index = counter & (cap - 1)
R_REQ_TAIL: Final = 15
R_REP_HEAD: Final = 16  # first report not yet drained by the strategy
R_REP_DELIVERED: Final = 17  # first report still travelling to the strategy
R_REP_TAIL: Final = 18
R_N_FILLS: Final = 19
R_N_ORDERS: Final = 20
R_N_CANCELS: Final = 21
R_FEE_TIER: Final = 22
# Book-crossing fills (matching.on_cross), one register per crossing side at
# base + side_index(side): liquidity of that side our resting orders took when its level
# crossed them, which the tape may still print as a trade (not to be used twice), and the
# price of that level.
R_CROSS_UNPRINTED_LOTS: Final = 23
R_CROSS_PRICE_TICKS: Final = 25
# 1 while the loaded events are not the end of the stream (sim/stream.py): advance stops when
# a cursor reaches the last loaded event, for the caller to append the next chunk.
R_MORE_EVENTS: Final = 27
N_REGS: Final = 28

# Float registers: SimState.xregs.
X_TICK_SIZE: Final = 0
X_LOT_SIZE: Final = 1
X_PROB_POWER: Final = 2
X_CASH_VENUE_USD: Final = 3
X_CASH_LOCAL_USD: Final = 4
X_FEES_USD: Final = 5
X_NOTIONAL_USD: Final = 6  # traded in this run
X_VOLUME_30D_USD: Final = 7  # before the run
N_XREGS: Final = 8

# Queue models and latency models.
QM_RISK_AVERSE: Final = 0
QM_PROB_POWER: Final = 1
QM_PROB_LOG: Final = 2
LAT_CONSTANT: Final = 0
LAT_RECORDED: Final = 1

# Books: SimState.book_qty[book, side_index, price_ticks - roi_lo], book_regs[book, B_*].
BOOK_EXCH: Final = 0  # the venue's book, updated at exchange time, used for matching
BOOK_LOCAL: Final = 1  # the strategy's view, updated when the feed reaches us
B_ROI_LO_TICKS: Final = 0
B_BEST_BID_TICKS: Final = 1
B_BEST_ASK_TICKS: Final = 2
B_IN_SNAPSHOT: Final = 3
N_BREGS: Final = 4
NO_BID_TICKS: Final = -(1 << 62)  # sentinels keep "price crosses best" a plain comparison
NO_ASK_TICKS: Final = 1 << 62

# Orders: SimState.ord_i[slot, O_*], ord_x[slot, OX_*].
O_ORDER_ID: Final = 0
O_CLIENT_ID: Final = 1
O_SIDE: Final = 2
O_PRICE_TICKS: Final = 3
O_LEAVES_LOTS: Final = 4
O_FILLED_LOTS: Final = 5
O_FLAGS: Final = 6
O_PRIORITY: Final = 7
O_TS_LIVE_NS: Final = 8
N_OFIELDS: Final = 9
OX_QUEUE_AHEAD_LOTS: Final = 0
OX_TRADED_SINCE_DEPTH_LOTS: Final = 1  # trades already applied, not to count twice (prob)
N_OXFIELDS: Final = 2
FLAG_POST_ONLY: Final = 1
FLAG_IOC: Final = 2

# Requests in flight to the venue: SimState.req[i, Q_*].
Q_TS_ARRIVE_NS: Final = 0
Q_TYPE: Final = 1
Q_ORDER_ID: Final = 2
Q_CLIENT_ID: Final = 3
Q_SIDE: Final = 4
Q_PRICE_TICKS: Final = 5
Q_QTY_LOTS: Final = 6
Q_FLAGS: Final = 7
N_QFIELDS: Final = 8
REQ_NEW: Final = 1
REQ_CANCEL: Final = 2
REQ_MODIFY: Final = 3
MARKET_BUY_LIMIT_TICKS: Final = 1 << 61  # a market order is an IOC with an unreachable limit
MARKET_SELL_LIMIT_TICKS: Final = -(1 << 61)

# Reports travelling back to the strategy: SimState.rep[i, P_*], rep_fee_usd[i].
P_TS_LOCAL_NS: Final = 0
P_TS_EXCH_NS: Final = 1
P_KIND: Final = 2
P_ORDER_ID: Final = 3
P_CLIENT_ID: Final = 4
P_SIDE: Final = 5
P_PRICE_TICKS: Final = 6
P_QTY_LOTS: Final = 7
P_LEAVES_LOTS: Final = 8
P_REASON: Final = 9
P_IS_MAKER: Final = 10
N_PFIELDS: Final = 11
REP_ACK: Final = 1
REP_REJECT: Final = 2
REP_FILL: Final = 3
REP_CANCELED: Final = 4
REP_MODIFIED: Final = 5
REP_EXPIRED: Final = 6  # IOC/market remainder that found no liquidity
REASON_NONE: Final = 0
REASON_POST_ONLY_CROSS: Final = 1
REASON_UNKNOWN_ORDER: Final = 2  # already filled, cancelled or never existed
REASON_TOO_MANY_ORDERS: Final = 3

# Fill log: SimState.fill_i[i, L_*], fill_fee_usd[i].
L_TS_EXCH_NS: Final = 0
L_TS_LOCAL_NS: Final = 1
L_ORDER_ID: Final = 2
L_CLIENT_ID: Final = 3
L_SIDE: Final = 4
L_PRICE_TICKS: Final = 5
L_QTY_LOTS: Final = 6
L_IS_MAKER: Final = 7
L_MID_TICKS_X2: Final = 8
N_LFIELDS: Final = 9

# advance() results.
ST_REACHED: Final = 0  # processed everything up to the requested time
ST_NEED_SPACE: Final = 1  # a buffer is nearly full; grow it and call again
ST_NEED_EVENTS: Final = 2  # a cursor reached the last loaded event; append a chunk, call again
# A taker order walks at most this many price levels (a venue's price-band protection);
# it bounds the rows one step can append, which is what the free-space check relies on.
MAX_TAKER_LEVELS: Final = 256
REQ_HEADROOM: Final = 8  # free request slots a compiled strategy needs before it decides
