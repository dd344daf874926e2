"""The day's artifacts: the canary archive (byte-identical, refused on a missing file), the daily
check (each problem one E_OPS line) and the daily snapshot (files + sha256 manifest)."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from tests.unit.ops.ops_cli import ops_cli, write_ops_shim

from mmbot.artifacts import write_json, write_text
from mmbot.ops import DAILY_FILES

REPO_ROOT = Path(__file__).resolve().parents[3]
AT = "2026-01-02T03:04:05Z"
AT_EPOCH_S = 1_767_323_045  # AT in seconds since the epoch


def _write_daily(folder: Path) -> Path:
    """Write every daily artifact as its writer would (canonical JSON, ASCII LF Markdown),
    modified an hour before AT."""
    for name in DAILY_FILES:
        if name.endswith(".json"):
            write_json(folder / name, {"name": name, "values": [1, 2.5]})
        else:
            write_text(folder / name, f"# {name}\n\nbody\n")
        os.utime(folder / name, (AT_EPOCH_S - 3600, AT_EPOCH_S - 3600))
    return folder


def test_canary_archive_same_files_same_bytes_sorted_members(tmp_path: Path) -> None:
    artifacts = _write_daily(tmp_path / "artifacts")
    first, second = tmp_path / "one", tmp_path / "two"
    for dist in (first, second):
        assert ops_cli("canary", "archive", "--artifacts", str(artifacts), "--dist", str(dist),
                       "--at", AT) == 0  # fmt: skip
        os.utime(artifacts / "metrics.json")  # a later mtime changes nothing in the archive
    name = "canary_20260102T030405Z.tar.gz"
    data = (first / name).read_bytes()
    assert data == (second / name).read_bytes()
    assert data[4:8] == b"\x00\x00\x00\x00"  # gzip header mtime 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(
            ["metrics.json", "rc_validator.json", "prom_snapshot.json", "REPORT_CANARY.md"]
        )
        assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(946_684_800, 0, 0, 0o644)}
        extracted = tar.extractfile("rc_validator.json")
        assert extracted is not None
        assert extracted.read() == (artifacts / "rc_validator.json").read_bytes()
    assert len(gzip.decompress(data)) % 512 == 0


def test_canary_archive_refuses_without_rc_validator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = _write_daily(tmp_path / "artifacts")
    (artifacts / "rc_validator.json").unlink()
    dist = tmp_path / "dist"
    assert ops_cli("canary", "archive", "--artifacts", str(artifacts), "--dist", str(dist)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    missing = artifacts / "rc_validator.json"
    assert line.startswith("E_OPS_MISSING_ARTIFACT: canary archive refused, nothing written: "
                           f"missing {missing} (mmbot rc validate")  # fmt: skip
    assert not dist.exists()


def test_daily_check_fresh_canonical_artifacts_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = _write_daily(tmp_path / "artifacts")
    assert ops_cli("ops", "daily-check", "--artifacts", str(artifacts), "--at", AT) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [*(f"[OK] {artifacts / name}" for name in DAILY_FILES),
                     f"RESULT=OK files={len(DAILY_FILES)}"]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "spoil", "problem"),
    [
        ("metrics.json", lambda p: p.unlink(), "E_OPS_MISSING_ARTIFACT: file={p} not found "
         "(mmbot metrics dump --run DIR writes it)"),
        ("SOAK_REPORT.md", lambda p: os.utime(p, (AT_EPOCH_S - 25 * 3600,) * 2),
         "E_OPS_STALE_ARTIFACT: file={p} age_h=25.00 expected<=24.00; rerun mmbot soak report"),
        ("REPORT_CANARY.md", lambda p: p.write_bytes(b"# r\r\n"),
         "E_OPS_TEXT_FORMAT: file={p} CR at offset=3 expected=LF line ends only"),
        ("REPORT_CANARY.md", lambda p: p.write_bytes(b"# caf\xc3\xa9\n"),
         "E_OPS_TEXT_FORMAT: file={p} byte=0xc3 at offset=5 expected=ASCII only"),
        ("REPORT_CANARY.md", lambda p: p.write_bytes(b"# r"),
         "E_OPS_TEXT_FORMAT: file={p} expected=a final LF"),
        ("rc_validator.json", lambda p: p.write_bytes(b'{"b":1,"a":2}\n'),
         "E_OPS_JSON_NOT_CANONICAL: file={p} differs from its canonical form at offset=2"),
        ("soak_report.json", lambda p: p.write_bytes(b'{"a": 1}\n'),
         "E_OPS_JSON_NOT_CANONICAL: file={p} differs from its canonical form at offset=5"),
        ("prom_snapshot.json", lambda p: p.write_bytes(b"{not json\n"),
         "E_OPS_JSON_NOT_CANONICAL: file={p} cannot be read back as JSON (JSONDecodeError)"),
    ],
)  # fmt: skip
def test_daily_check_names_each_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, spoil: object, problem: str
) -> None:
    artifacts = _write_daily(tmp_path / "artifacts")
    path = artifacts / name
    assert callable(spoil)
    spoil(path)
    if path.exists() and name != "SOAK_REPORT.md":
        os.utime(path, (AT_EPOCH_S - 60, AT_EPOCH_S - 60))
    assert ops_cli("ops", "daily-check", "--artifacts", str(artifacts), "--at", AT) == 1
    lines = capsys.readouterr().out.splitlines()
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert len(failed) == 1
    assert failed[0].startswith("[FAIL] " + problem.format(p=path))
    assert lines[-1] == f"RESULT=FAIL problems=1 files={len(DAILY_FILES)}"


def test_daily_check_module_entry_point(tmp_path: Path) -> None:
    artifacts = _write_daily(tmp_path / "artifacts")
    command = [sys.executable, "-m", "mmbot.tools.ops.daily_check", "--artifacts", str(artifacts)]
    passed = subprocess.run([*command, "--at", AT], capture_output=True, text=True, check=False)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.splitlines()[-1] == f"RESULT=OK files={len(DAILY_FILES)}"
    stale = subprocess.run(command, capture_output=True, text=True, check=False)  # now: too old
    assert stale.returncode == 1
    assert stale.stdout.splitlines()[-1].startswith("RESULT=FAIL problems=")


def test_snapshot_copies_every_file_with_a_sha256_manifest(tmp_path: Path) -> None:
    artifacts, dist = _write_daily(tmp_path / "artifacts"), tmp_path / "dist"
    assert ops_cli("ops", "snapshot", "--artifacts", str(artifacts), "--dist", str(dist),
                   "--at", AT) == 0  # fmt: skip
    folder = dist / "snapshots" / "20260102_Z"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*DAILY_FILES, "MANIFEST.sha256"])
    for name in DAILY_FILES:
        assert (folder / name).read_bytes() == (artifacts / name).read_bytes()
    manifest = (folder / "MANIFEST.sha256").read_text()
    assert [line.split("  ")[1] for line in manifest.splitlines()] == sorted(DAILY_FILES)
    if shutil.which("sha256sum") is not None:
        checked = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=folder,
                                 capture_output=True, text=True, check=False)  # fmt: skip
        assert checked.returncode == 0, checked.stdout


def test_snapshot_refuses_missing_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts, dist = _write_daily(tmp_path / "artifacts"), tmp_path / "dist"
    (artifacts / "soak_report.json").unlink()
    (artifacts / "metrics.json").unlink()
    assert ops_cli("ops", "snapshot", "--artifacts", str(artifacts), "--dist", str(dist)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("E_OPS_MISSING_ARTIFACT: daily snapshot refused, nothing written: "
                           f"missing {artifacts / 'metrics.json'} (mmbot metrics dump")  # fmt: skip
    assert f"{artifacts / 'soak_report.json'} (mmbot soak report" in line
    assert not dist.exists()


def test_snapshot_script_forwards_to_mmbot_ops_snapshot(tmp_path: Path) -> None:
    artifacts, dist = _write_daily(tmp_path / "artifacts"), tmp_path / "dist"
    shim = write_ops_shim(tmp_path)
    script = REPO_ROOT / "tools" / "ops" / "snapshot.sh"
    env = {**os.environ, "MMBOT": str(shim)}
    args = ["--artifacts", str(artifacts), "--dist", str(dist), "--at", AT]
    made = subprocess.run([str(script), *args], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[-1] == f"RESULT=OK snapshot={dist}/snapshots/20260102_Z files=6"
    (artifacts / "REPORT_CANARY.md").unlink()
    refused = subprocess.run([str(script), *args], env=env, capture_output=True, text=True,
                             check=False)  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.startswith("E_OPS_MISSING_ARTIFACT: daily snapshot refused")
