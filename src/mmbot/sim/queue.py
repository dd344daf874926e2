"""Queue-position models: how far back in its level's queue a resting order of ours is.

queue_ahead_lots counts the public quantity in front of our order. It starts at the visible
level qty when the order becomes live (everything there arrived first) and only shrinks.

risk_averse: a level decrease moves us forward only when the level shrinks below our place,
    queue_ahead = min(queue_ahead, new_qty); cancels are assumed to come from behind us.
prob: a decrease d (net of trades already applied) is split between ahead and behind in
    expected value, share_ahead = f(ahead) / (f(ahead) + f(behind)), f(x) = x**power or
    log(1 + x) (Rigtorp, "Estimating order queue position"; hftbacktest's ProbQueueModel).
Both models: a trade at our price of qty q takes q from the front of the queue (matching.py).
"""

from __future__ import annotations

import math

from mmbot.sim.jit import compiled, compiled_inline
from mmbot.sim.layout import QM_PROB_POWER, QM_RISK_AVERSE


@compiled_inline
def _weight(lots: float, model: int, power: float) -> float:
    if model == QM_PROB_POWER:
        return float(lots**power)
    return float(math.log1p(lots))


@compiled
def queue_after_depth_change(
    ahead_lots: float,
    traded_lots: float,
    prev_lots: int,
    new_lots: int,
    model: int,
    power: float,
) -> float:
    """Return queue_ahead_lots after our level went from prev_lots to new_lots.

    traded_lots is the trade qty already taken off queue_ahead since the level's last update;
    the feed reports that same qty again as a decrease, so it is not counted twice.
    """
    if model == QM_RISK_AVERSE:
        return min(ahead_lots, float(new_lots))
    decrease_lots = prev_lots - new_lots - traded_lots
    if decrease_lots <= 0.0:
        return min(ahead_lots, float(new_lots))
    behind_lots = max(prev_lots - ahead_lots, 0.0)
    weight_ahead = _weight(ahead_lots, model, power)
    weight_total = weight_ahead + _weight(behind_lots, model, power)
    share_ahead = weight_ahead / weight_total if weight_total > 0.0 else 1.0
    # What the part behind us cannot absorb must have come from ahead.
    overflow_lots = min(behind_lots - (1.0 - share_ahead) * decrease_lots, 0.0)
    ahead_lots = ahead_lots - share_ahead * decrease_lots + overflow_lots
    return max(min(ahead_lots, float(new_lots)), 0.0)
