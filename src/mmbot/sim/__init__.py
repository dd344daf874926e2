"""The simulated venue: L2 books, queue position, latency, fees; compiled with numba.

`SimVenue` is stepped from Python (the engine's backtest venue); `run_fixed_spread_quoter`
runs a simple quoter entirely in compiled code on the same matching core; over an
`EventStream` the venue reads its events chunk by chunk. See docs/SIM.md.
"""

from mmbot.core.fills import FILL_LOG_COLUMNS, FillLog
from mmbot.sim.params import SimParams
from mmbot.sim.quoter import FixedSpreadQuoterParams, QuoterResult, run_fixed_spread_quoter
from mmbot.sim.reports import REPORT_DTYPE, RejectReason, ReportKind
from mmbot.sim.state import EventArrays
from mmbot.sim.stream import EventStream
from mmbot.sim.venue import SimVenue

__all__ = [
    "FILL_LOG_COLUMNS",
    "REPORT_DTYPE",
    "EventArrays",
    "EventStream",
    "FillLog",
    "FixedSpreadQuoterParams",
    "QuoterResult",
    "RejectReason",
    "ReportKind",
    "SimParams",
    "SimVenue",
    "run_fixed_spread_quoter",
]
