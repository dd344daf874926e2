"""Risk invariants, active in every mode: trading state (ACTIVE / REDUCING / HALTED), position,
skew, intraday caps, venue minimums, throttle, replace policy and kill switch. Pure: no I/O,
no wall clock; rejections are `Denied` values."""

from mmbot.risk.book import BookLimits, BookRisk, Exposure
from mmbot.risk.gate import ACTIVE, HALTED, REDUCING, TRADING_STATES, RiskGate
from mmbot.risk.throttle import TokenBucket
from mmbot.risk.values import OpenOrder, RiskContext, RiskParams, RiskRecord

__all__ = [
    "ACTIVE",
    "HALTED",
    "REDUCING",
    "TRADING_STATES",
    "BookLimits",
    "BookRisk",
    "Exposure",
    "OpenOrder",
    "RiskContext",
    "RiskGate",
    "RiskParams",
    "RiskRecord",
    "TokenBucket",
]
