"""Risk invariants, active in every mode: position, skew, intraday caps, throttle, replace
policy and kill switch. Pure: no I/O, no wall clock; rejections are `Denied` values."""

from mmbot.risk.gate import RiskGate
from mmbot.risk.throttle import TokenBucket
from mmbot.risk.values import OpenOrder, RiskContext, RiskParams, RiskRecord

__all__ = ["OpenOrder", "RiskContext", "RiskGate", "RiskParams", "RiskRecord", "TokenBucket"]
