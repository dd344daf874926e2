"""Raw sizes from order size, budget and inventory; the per-step cap."""

from __future__ import annotations

import pytest

from mmbot.strategy import cap_step, capped_sizes, raw_sizes, room_lots


@pytest.mark.parametrize(
    ("budget_lots", "position_lots", "max_position_lots", "expected"),
    [
        (None, 0, 100, (10, 10)),  # flat: full order size both sides
        (None, 50, 100, (5, 10)),  # long half the limit: bid 10*50//100 = 5
        (None, -75, 100, (10, 2)),  # short 3/4: ask 10*25//100 = 2 (2.5 floored)
        (None, 100, 100, (0, 10)),  # at the limit: no more buying
        (None, 120, 100, (0, 10)),  # beyond it too
        (4, 0, 100, (4, 4)),  # allocator budget below the order size
        (-3, 0, 100, (0, 0)),  # a negative budget quotes nothing
        (None, 0, 0, (0, 0)),  # no limit room at all
        (None, 3, 5, (2, 8)),  # bid 10*2//5 = 4 cut to room 2; ask cut to room 5+3 = 8
    ],
)
def test_raw_sizes_inventory_and_budget_shrink_as_expected(
    budget_lots: int | None,
    position_lots: int,
    max_position_lots: int,
    expected: tuple[int, int],
) -> None:
    room = room_lots(position_lots, max_position_lots)
    assert raw_sizes(10, budget_lots, position_lots, max_position_lots, room) == expected


@pytest.mark.parametrize(
    ("prev_lots", "raw_lots", "expected_lots"),
    [(0, 12, 5), (10, 2, 5), (3, 6, 6), (6, 3, 3)],
)
def test_cap_step_change_is_at_most_max_delta(
    prev_lots: int, raw_lots: int, expected_lots: int
) -> None:
    assert cap_step(prev_lots, raw_lots, 5) == expected_lots


def test_capped_sizes_step_cap_then_limit_room_wins() -> None:
    # bid: 10 -> raw 0 would step to 5, but long 99 of 100 leaves room 1 -> 1
    # ask: 0 -> raw 10 steps to 5 (room 199)
    assert capped_sizes((10, 0), (0, 10), room_lots(99, 100), 5) == (1, 5)
    # at the limit: bid cut to 0 at once
    assert capped_sizes((10, 10), (0, 10), room_lots(100, 100), 5) == (0, 10)
