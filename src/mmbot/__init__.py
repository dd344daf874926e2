"""mmbot: a crypto market-making system (engine, L2 simulator, edge audit, operations)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
