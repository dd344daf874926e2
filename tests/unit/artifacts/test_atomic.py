from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mmbot.artifacts import atomic_output, atomic_write_bytes, sweep_stale_temps

pytestmark = pytest.mark.selected


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_atomic_write_replace_failure_keeps_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    atomic_write_bytes(target, b"old\n")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("injected failure between write and rename")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="injected"):
        atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert _names(tmp_path) == ["report.json"]


def test_atomic_output_exception_in_block_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "data.parquet"
    with pytest.raises(RuntimeError), atomic_output(target) as temp:
        temp.write_bytes(b"partial")
        raise RuntimeError("writer crashed")
    assert _names(tmp_path) == []


def test_atomic_write_killed_between_write_and_rename_old_intact_then_swept(
    tmp_path: Path,
) -> None:
    target = tmp_path / "metrics.json"
    atomic_write_bytes(target, b"old\n")
    # The child writes the new bytes to its temp file, then dies by SIGKILL just before
    # the rename: no Python cleanup can run.
    child = textwrap.dedent(
        f"""
        import os, signal
        from mmbot.artifacts import atomic_write_bytes
        os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)
        atomic_write_bytes({str(target)!r}, b"new\\n")
        """
    )
    result = subprocess.run([sys.executable, "-c", child], check=False)
    assert result.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"old\n"
    leftovers = [name for name in _names(tmp_path) if name != "metrics.json"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")
    # The dead writer's temp file is removed by the next write into the folder.
    atomic_write_bytes(target, b"newer\n")
    assert target.read_bytes() == b"newer\n"
    assert _names(tmp_path) == ["metrics.json"]


def test_sweep_keeps_temp_files_of_live_writers(tmp_path: Path) -> None:
    live = tmp_path / f".x.json.{os.getpid()}.1.tmp"
    live.write_bytes(b"in progress")
    assert sweep_stale_temps(tmp_path) == []
    assert live.exists()
