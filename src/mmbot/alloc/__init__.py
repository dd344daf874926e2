"""Portfolio allocator: budget across strategies/symbols, high-water mark, drawdown scaling,
smoothing of allocation changes. Pure: no I/O, no wall clock."""

from mmbot.alloc.allocator import Allocation, Allocator, AllocParams

__all__ = ["AllocParams", "Allocation", "Allocator"]
