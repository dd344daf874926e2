"""The Python API for notebooks and scripts (docs/API.md): what `mmbot backtest run` does,
returned as polars DataFrames and dicts. Implemented by the composition root, mmbot.node."""

from mmbot.node.api import BacktestResult, EdgeAudit, backtest

__all__ = ["BacktestResult", "EdgeAudit", "backtest"]
