"""The fill log as CSV (one row per fill, FILL_LOG_COLUMNS), through the deterministic writer."""

from __future__ import annotations

import os
from pathlib import Path

from mmbot.artifacts.text import write_csv
from mmbot.core.fills import FILL_LOG_COLUMNS, FillLog


def write_fill_log(path: str | os.PathLike[str], log: FillLog) -> Path:
    """Write log as CSV (fee_usd as fmt6); return the path."""
    return write_csv(path, FILL_LOG_COLUMNS, log.rows())
