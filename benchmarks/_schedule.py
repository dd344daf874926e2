"""When the two quoters decide: one decision grid for mmbot's compiled quoter and the peer.

mmbot (`mmbot.sim.run_fixed_spread_quoter`): the simulator's clock starts at the earliest
timestamp of the data, min(first ts_exch_ns, first ts_local_ns) under recorded feed latency
(`mmbot.sim.state.new_state`, R_NOW_NS), and the quoter decides at that start + k * interval,
k >= 1 (`quoter.py`, QR_NEXT_DECISION_NS). With the usual non-negative feed latency that start
is the first event's *exchange* time, not its local time.

hftbacktest 2.4.4: the first `elapse(d)` starts the clock at the earliest pending timestamp,
the first local row's `local_ts` or the first exchange row's `exch_ts` (every converted row
carries both flags: min(first local_ts, first exch_ts)), then processes everything up to
start + d; each later `elapse(interval)` moves on by one interval. Both simulators process an
event whose time equals the decision instant before deciding.

So the peer's first elapse is mmbot's first decision minus hftbacktest's clock start. (mmbot's
full-stack Engine keeps another grid, the first event's local time + k * interval, k >= 0;
the simulator benchmark compares the compiled quoter only.)
"""

from __future__ import annotations


def clock_start_ns(first_exch_ns: int, first_local_ns: int) -> int:
    """Return where both simulators start their clock: the data's earliest timestamp."""
    return min(first_exch_ns, first_local_ns)


def mmbot_first_decision_ns(first_exch_ns: int, first_local_ns: int, interval_ns: int) -> int:
    """Return the instant of mmbot's compiled quoter's first decision (recorded latency)."""
    return clock_start_ns(first_exch_ns, first_local_ns) + interval_ns


def peer_first_elapse_ns(first_exch_ns: int, first_local_ns: int, interval_ns: int) -> int:
    """Return the duration of hftbacktest's first `elapse`, so it decides when mmbot does."""
    hftbacktest_start_ns = clock_start_ns(first_exch_ns, first_local_ns)
    return mmbot_first_decision_ns(first_exch_ns, first_local_ns, interval_ns) - (
        hftbacktest_start_ns
    )
