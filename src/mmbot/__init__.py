"""mmbot: a crypto market-making system (engine, L2 simulator, edge audit, operations).

Python API: `mmbot.api.backtest(config, data)` runs a backtest and returns its fills, orders,
mids and edge audit as polars DataFrames with the report (docs/API.md). `import mmbot` stays
cheap: mmbot.api (and the compiled simulator behind it) is imported on first use.
"""

from importlib import import_module
from types import ModuleType

__version__ = "0.1.0"

__all__ = ["__version__", "api"]


def __getattr__(name: str) -> ModuleType:
    """Import mmbot.api when it is first asked for (`mmbot.api.backtest(...)`)."""
    if name != "api":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return import_module("mmbot.api")
