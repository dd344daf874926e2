"""Streaming: 10,000,000 events are written and replayed with peak RSS under 2 GB.

Each phase runs in a fresh interpreter so ru_maxrss is that phase's own peak. Takes
about 12 s on 2 cores (5 s to generate and write, 4 s to read and replay the book);
each phase peaks near 0.5 GB, most of it the imported libraries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

N_EVENTS = 10_000_000
RSS_LIMIT_KIB = 2 * 1024 * 1024  # ru_maxrss is in KiB on Linux

_WRITE = """
import json, resource, sys
from mmbot.data import SYNTH_META, synthesize, write_events
write_events(sys.argv[1], synthesize(1, int(sys.argv[2])), SYNTH_META)
print(json.dumps({"rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_REPLAY = """
import json, resource, sys
from mmbot.data import BookReplay, iter_events
book, rows, crossed = BookReplay(), 0, 0
for batch in iter_events(sys.argv[1]):
    best_bid, best_ask = book.tops(batch)
    rows += len(batch)
    crossed += int((best_bid >= best_ask).sum())
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "crossed": crossed, "rss_kib": rss}))
"""


def _run(script: str, *args: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_memory_10m_events_write_and_replay_under_2gb(tmp_path: Path) -> None:
    path = tmp_path / "ten_million.parquet"

    written = _run(_WRITE, str(path), str(N_EVENTS))
    replayed = _run(_REPLAY, str(path))

    assert replayed["rows"] == N_EVENTS
    assert replayed["crossed"] == 0
    assert written["rss_kib"] < RSS_LIMIT_KIB
    assert replayed["rss_kib"] < RSS_LIMIT_KIB
