"""Run directories are committed whole: built aside, sealed by manifest.json, swapped in.

A rerun killed midway leaves the previous directory as it was; a finished rerun leaves no
file of the earlier run; a directory mixing two runs, or without a manifest, is refused with
E_RUN_INCOMPLETE; an --out that is a file, or that holds someone else's files, is one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _cli import REPO_ROOT
from _rundir_fixture import write_fixture_run
from tests.cli_runner import run_cli

from mmbot.artifacts import stage_folder
from mmbot.config import load_config
from mmbot.data import preset, synthesize, write_events
from mmbot.engine import rundir
from mmbot.engine.rundir_commit import MANIFEST
from mmbot.engine.rundir_read import read_run_dir
from mmbot.node import run_backtest

FIXTURES = REPO_ROOT / "configs" / "fixtures"
PASS, FAIL = FIXTURES / "backtest_pass.yaml", FIXTURES / "backtest_fail.yaml"
AUDIT_FILES = ("EDGE_AUDIT.md", "edge_audit.json", "equity.svg", "inventory.svg", "waterfall.svg")

pytestmark = pytest.mark.usefixtures("cli_env")


@pytest.fixture(scope="module")
def alt_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a small fixture_alt market (30,000 events: a few hundred fills per fixture)."""
    params, meta = preset("fixture_alt")
    path = tmp_path_factory.mktemp("alt") / "alt.parquet"
    return write_events(path, synthesize(7, 30_000, meta=meta, params=params), meta)


def _backtest(config: Path, data: Path, out: Path) -> int:
    return run_cli("backtest", "run", "--config", str(config), "--data", str(data),
                   "--out", str(out))  # fmt: skip


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _one_error_line(capsys: pytest.CaptureFixture[str], code: str) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{code}: "), lines
    return lines[0]


def _dead_pid() -> int:
    """Return the pid of a process that has exited (a writer killed with -9)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_rerun_killed_midway_leaves_the_old_run_directory_intact(
    alt_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    assert _backtest(PASS, alt_data, out) == 0
    before = _files(out)
    real_write_csv = rundir.write_csv

    def dies_at_mids(path: Path, *args: object) -> Path:
        if path.name == "mids.csv":  # fills.csv and orders.csv of the rerun are written
            raise KeyboardInterrupt("killed mid-write")
        return real_write_csv(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(rundir, "write_csv", dies_at_mids)
    with pytest.raises(KeyboardInterrupt):
        run_backtest(load_config(FAIL, {}), alt_data, out, print)
    assert _files(out) == before
    read_run_dir(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the stage is gone too


def test_rerun_replaces_the_directory_whole_no_stale_audit(
    alt_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _backtest(PASS, alt_data, out) == 0
    assert run_cli("edge-audit", "--run", str(out)) == 0
    assert run_cli("edge-audit", "--run", str(out)) == 0  # the audit kept the manifest true
    assert all((out / name).is_file() for name in AUDIT_FILES)
    assert _backtest(FAIL, alt_data, out) == 0
    assert not [name for name in AUDIT_FILES if (out / name).exists()]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["BACKTEST.md", "backtest.json", "fills.csv", "orders.csv", "mids.csv",
         "risk_records.csv", "risk_denials.csv", "run.json", "metrics.prom", MANIFEST]
    )  # fmt: skip
    capsys.readouterr()
    assert run_cli("edge-audit", "--run", str(out), "--dry-run") == 0
    assert "RESULT=OK dry_run=true" in capsys.readouterr().out


def test_edge_audit_refuses_a_directory_mixing_two_runs(
    alt_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert _backtest(PASS, alt_data, first) == 0 and _backtest(FAIL, alt_data, second) == 0
    shutil.copyfile(second / "fills.csv", first / "fills.csv")
    capsys.readouterr()
    assert run_cli("edge-audit", "--run", str(first), "--out", str(tmp_path / "audit")) == 2
    line = _one_error_line(capsys, "E_RUN_INCOMPLETE")
    assert f"file={first / 'fills.csv'} differs from its {MANIFEST} entry" in line
    assert not (tmp_path / "audit").exists()


def test_edge_audit_refuses_a_directory_without_manifest(
    alt_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _backtest(PASS, alt_data, out) == 0
    (out / MANIFEST).unlink()  # as a run killed before its last write leaves it
    capsys.readouterr()
    assert run_cli("edge-audit", "--run", str(out)) == 2
    assert f"dir={out} has no {MANIFEST}" in _one_error_line(capsys, "E_RUN_INCOMPLETE")


@pytest.mark.parametrize(
    "command",
    [
        ("backtest", "run", "--config", str(PASS), "--data", "{data}", "--out", "{out}"),
        ("edge-audit", "--run", "{run}", "--out", "{out}"),
        ("demo", "--out", "{out}"),
        ("run", "--mode", "live-sim", "--config", str(PASS), "--data", "{data}", "--out", "{out}"),
    ],
    ids=["backtest", "edge-audit", "demo", "live-sim"],
)
def test_out_naming_a_file_is_one_error_line(
    alt_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder\n")
    run = write_fixture_run(tmp_path / "run")
    args = [arg.format(data=alt_data, out=out, run=run) for arg in command]
    capsys.readouterr()
    assert run_cli(*args) == 2
    assert f"--out {out} is a file" in _one_error_line(capsys, "E_RUN_OUT_NOT_DIR")
    assert out.read_text() == "not a folder\n"


def test_backtest_refuses_to_replace_a_folder_holding_other_files(
    alt_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me\n")
    capsys.readouterr()
    assert _backtest(PASS, alt_data, out) == 2
    assert "holds notes.txt, which no mmbot run wrote" in _one_error_line(
        capsys, "E_RUN_OUT_FOREIGN"
    )
    assert _files(out) == {"notes.txt": b"keep me\n"}


def test_live_sim_rerun_keeps_the_journal_and_replaces_the_run_files(
    alt_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "live"
    live_sim = ("run", "--mode", "live-sim", "--config", str(PASS), "--data", str(alt_data),
                "--speed", "max", "--window-s", "20", "--out", str(out))  # fmt: skip
    assert run_cli(*live_sim) == 0
    assert run_cli("edge-audit", "--run", str(out)) == 0
    journals = {p.name: p.read_bytes() for p in out.glob("journal*")}
    assert journals
    assert run_cli(*live_sim) == 0
    assert not [name for name in AUDIT_FILES if (out / name).exists()]
    assert all((out / name).exists() for name in journals)  # another session's record stays
    read_run_dir(out)


def test_a_killed_writers_leftovers_are_cleared_and_its_old_folder_restored(
    tmp_path: Path,
) -> None:
    target = tmp_path / "run"
    pid = _dead_pid()
    old = tmp_path / f".run.old.{pid}.1"  # killed between moving the old run aside and the new in
    old.mkdir()
    (old / "fills.csv").write_text("old\n")
    stage = tmp_path / f".run.stage.{pid}.2"
    stage.mkdir()
    (stage / "fills.csv").write_text("half\n")
    fresh = stage_folder(target)
    assert (target / "fills.csv").read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == sorted(["run", fresh.name])
