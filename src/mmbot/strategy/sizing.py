"""Order sizes: raw from the order size, the allocator's budget and inventory; then capped.

Raw size of the side that adds to inventory shrinks linearly with |position| and is zero at
max_position_lots; it never exceeds the room left to the limit. The capped size moves at most
max_size_delta_lots per decision toward the raw size, except that it is cut to the room left
at once: the position limit wins over smoothness.
"""

from __future__ import annotations

from numba.extending import register_jitable


@register_jitable
def raw_sizes(
    order_qty_lots: int,
    budget_lots: int | None,
    position_lots: int,
    max_position_lots: int,
    room: tuple[int, int],
) -> tuple[int, int]:
    """Return (bid_lots, ask_lots) before the per-step cap; integer arithmetic only.

    room is room_lots(position_lots, max_position_lots).
    """
    base_lots = order_qty_lots if budget_lots is None else max(0, min(order_qty_lots, budget_lots))
    if max_position_lots <= 0:
        return 0, 0
    buy_room_lots, sell_room_lots = room
    if position_lots > 0:
        bid_lots, ask_lots = base_lots * buy_room_lots // max_position_lots, base_lots
    else:
        bid_lots, ask_lots = base_lots, base_lots * sell_room_lots // max_position_lots
    return min(bid_lots, buy_room_lots), min(ask_lots, sell_room_lots)


@register_jitable
def cap_step(prev_lots: int, raw_lots: int, max_delta_lots: int) -> int:
    """Return prev + clip(raw - prev, -max_delta, +max_delta)."""
    if raw_lots > prev_lots + max_delta_lots:
        return prev_lots + max_delta_lots
    if raw_lots < prev_lots - max_delta_lots:
        return prev_lots - max_delta_lots
    return raw_lots


@register_jitable
def capped_sizes(
    prev_lots: tuple[int, int],
    raw_lots: tuple[int, int],
    room: tuple[int, int],
    max_delta_lots: int,
) -> tuple[int, int]:
    """Return (bid_lots, ask_lots): each side capped per step, then cut to the limit's room.

    room is room_lots(position_lots, max_position_lots).
    """
    buy_room_lots, sell_room_lots = room
    return (
        min(cap_step(prev_lots[0], raw_lots[0], max_delta_lots), buy_room_lots),
        min(cap_step(prev_lots[1], raw_lots[1], max_delta_lots), sell_room_lots),
    )


@register_jitable
def room_lots(position_lots: int, max_position_lots: int) -> tuple[int, int]:
    """Return (buy_room_lots, sell_room_lots): how far each side may go before the limit."""
    return max(0, max_position_lots - position_lots), max(0, max_position_lots + position_lots)
