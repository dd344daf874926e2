"""Backtests: one run and its report, walk-forward, latency studies, the edge audit's I/O."""
