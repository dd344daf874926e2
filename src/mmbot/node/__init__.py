"""The composition root: builds the whole system for a mode from config; the Python API."""
