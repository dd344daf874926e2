"""An event file loaded for a run, its instrument checked against the config's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mmbot.backtest.wiring import check_instrument
from mmbot.config import MmConfig
from mmbot.data import EventBatch, InstrumentMeta, load_events


@dataclass(frozen=True, slots=True)
class Replay:
    """The events of the file at path and the instrument they trade."""

    path: Path
    events: EventBatch
    meta: InstrumentMeta


def load_replay(cfg: MmConfig, path: Path) -> Replay:
    """Return the events of path; E_CFG_DATA_MISMATCH when cfg trades another instrument."""
    events, meta = load_events(path)
    check_instrument(cfg, meta, path)
    return Replay(path, events, meta)
