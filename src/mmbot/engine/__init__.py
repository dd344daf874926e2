"""The engine: one event loop for every mode, its order manager, ledger and run directory."""
