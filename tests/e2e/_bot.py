"""`mmbot run` as a subprocess against a loopback fake: its process, run folder, journal."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _cli import REPO_ROOT, clean_env
from tests.loopback import API_KEY, API_SECRET


@dataclass
class Bot:
    """A running `mmbot run` subprocess and its files."""

    process: asyncio.subprocess.Process
    out: Path
    stderr_path: Path

    def journal(self) -> list[dict[str, Any]]:
        path = self.out / "journal.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def journaled(self, event: str, detail: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.journal()
                if e["event"] == event and (detail is None or e["detail"] == detail)]  # fmt: skip


@asynccontextmanager
async def running_bot(
    tmp_path: Path, config_text: str, run_args: Sequence[str], keys: bool = True
) -> AsyncIterator[Bot]:
    """Start `mmbot run <run_args> --config <config_text> --out tmp_path/run` (with the fake's
    API keys unless not keys); kill it on the way out if it still runs."""
    config = tmp_path / "cfg.yaml"
    config.write_text(config_text)
    env = clean_env()
    if keys:
        env.update(MM_BINANCE_API_KEY=API_KEY, MM_BINANCE_API_SECRET=API_SECRET)
    out, stderr_path = tmp_path / "run", tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mmbot", "run", *run_args, "--config", str(config),
            "--out", str(out), stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env,
            cwd=REPO_ROOT,
        )  # fmt: skip
    try:
        yield Bot(process, out, stderr_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
