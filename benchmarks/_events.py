"""The benchmark's event file: generated once, deterministically, and reused while intact.

The Parquet file is what mmbot replays; its sha256 is recorded next to it when it is written, and
the file is reused only while the recomputed digest still matches (a truncated or edited file is
regenerated). The same seed and count give the same bytes on any machine with the pinned
dependencies, so the printed digest lets two readers check they measured the same market.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mmbot.data import SYNTH_META, synthesize, write_events

DATA_DIR = Path(__file__).resolve().parent / "data"
_HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class EventFile:
    """A generated event file and how it was obtained."""

    path: Path
    sha256: str
    reused: bool


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_event_file(seed: int, n_events: int) -> EventFile:
    """Return the Parquet event file for (seed, n_events), generating it if absent or altered."""
    path = DATA_DIR / f"events_seed{seed}_n{n_events}.parquet"
    digest_path = path.with_name(path.name + ".sha256")
    if path.exists() and digest_path.exists():
        recorded_sha256 = digest_path.read_text(encoding="ascii").strip()
        actual_sha256 = sha256_file(path)
        if actual_sha256 == recorded_sha256:
            return EventFile(path=path, sha256=actual_sha256, reused=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    write_events(path, synthesize(seed, n_events, meta=SYNTH_META), SYNTH_META)
    actual_sha256 = sha256_file(path)
    # Written last: a run interrupted mid-write leaves no digest, so the file is regenerated.
    digest_path.write_text(actual_sha256 + "\n", encoding="ascii")
    return EventFile(path=path, sha256=actual_sha256, reused=False)
