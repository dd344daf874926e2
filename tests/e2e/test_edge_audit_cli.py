"""`mmbot edge-audit` end to end on a hand-made run directory: goldens, determinism, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _cli import mmbot as _mmbot
from _rundir_fixture import write_fixture_run
from tests.cli_runner import run_cli

from mmbot.engine.rundir_commit import seal_run_dir

pytestmark = pytest.mark.selected
REPORTS = ("EDGE_AUDIT.md", "edge_audit.json", "equity.svg", "inventory.svg", "waterfall.svg")


def _audit(tmp_path: Path, name: str) -> dict[str, bytes]:
    run = write_fixture_run(tmp_path / f"run_{name}")
    out = tmp_path / f"out_{name}"
    result = _mmbot("edge-audit", "--run", str(run), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2].startswith("BOTTLENECK=inventory ")
    return {name: (out / name).read_bytes() for name in REPORTS}


def test_edge_audit_fixture_matches_goldens_and_repeats_byte_for_byte(
    tmp_path: Path, golden: Callable[[str, bytes], None]
) -> None:
    first, second = _audit(tmp_path, "a"), _audit(tmp_path, "b")
    assert first == second
    golden("edge_audit_fixture.md", first["EDGE_AUDIT.md"])
    golden("edge_audit_fixture.json", first["edge_audit.json"])
    markdown = first["EDGE_AUDIT.md"].decode("ascii")
    assert markdown.splitlines()[0] == (
        "# Edge audit: bottleneck=inventory -22.158210 bps"
        " reason=too_few_fills fills=4 min_fills=100"
    )
    totalled = [b for b in markdown.split("\n\n") if b.startswith(("| component", "| key"))]
    assert len(totalled) == 4
    assert all(table.splitlines()[-1].startswith("| TOTAL |") for table in totalled)
    for svg in ("equity.svg", "inventory.svg", "waterfall.svg"):
        assert b"<dc:date>" not in first[svg] and first[svg].isascii()


def test_edge_audit_dry_run_writes_nothing(tmp_path: Path) -> None:
    run = write_fixture_run(tmp_path / "run")
    before = sorted(p.name for p in run.iterdir())
    result = _mmbot("edge-audit", "--run", str(run), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in run.iterdir()) == before
    assert f"would write {run / 'EDGE_AUDIT.md'}" in result.stdout
    assert result.stdout.splitlines()[-1] == "RESULT=OK dry_run=true"


def _replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


BAD_INPUTS = [
    ("unknown order", lambda run: _replace_in(run / "fills.csv", ",3,c-3,", ",9,c-3,"),
     "E_AUDIT_UNKNOWN_ORDER: file={run}/fills.csv row=3 order_id=9 is not in orders.csv"),
    ("missing mids", lambda run: _replace_in(run / "mids.csv", ",ETH,", ",XRP,"),
     "E_AUDIT_MISSING_MIDS: file={run}/fills.csv row=3 symbol=ETH has no rows in mids.csv"),
    ("unsorted fills", lambda run: _replace_in(run / "fills.csv", "1767225602000000000",
                                               "1767225500000000000"),
     "E_AUDIT_UNSORTED: file={run}/fills.csv row=3 ts_ns goes backwards; sort by ts_ns"),
    ("no metadata", lambda run: _replace_in(run / "run.json", '"ETH":', '"XRP":'),
     "E_AUDIT_NO_METADATA: file={run}/fills.csv row=3 symbol=ETH has no instrument entry"
     " in run.json"),
    ("bad number", lambda run: _replace_in(run / "fills.csv", ",99.9,", ",9x9,"),
     "E_AUDIT_BAD_VALUE: file={run}/fills.csv row=1 column=price value='9x9' expected=Float64"),
    ("missing file", lambda run: (run / "mids.csv").unlink(),
     "E_AUDIT_MISSING_FILE: file={run}/mids.csv is missing; point --run at a run directory"
     " (fills.csv, orders.csv, mids.csv, run.json)"),
]  # fmt: skip


def _damaged(tmp_path: Path, damage: Callable[[Path], None]) -> tuple[Path, Path]:
    """Return (a damaged fixture run, an --out directory that does not exist yet).

    The damaged run is sealed again, as if its run had written it so: the check under test
    is the one on the files' contents, not the manifest's (tests/e2e/test_run_directory.py).
    """
    run = write_fixture_run(tmp_path / "run")
    damage(run)
    seal_run_dir(run)
    return run, tmp_path / "out"


def test_edge_audit_bad_input_one_line_and_nothing_written_in_a_fresh_interpreter(
    tmp_path: Path,
) -> None:
    case, damage, line = BAD_INPUTS[0]
    run, out = _damaged(tmp_path, damage)
    result = _mmbot("edge-audit", "--run", str(run), "--out", str(out))
    assert result.returncode == 2, case
    assert result.stderr.splitlines() == [line.format(run=run)]
    assert not out.exists()


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("case", "damage", "line"), BAD_INPUTS[1:], ids=[c[0] for c in BAD_INPUTS[1:]]
)
def test_edge_audit_bad_input_one_line_and_nothing_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    damage: Callable[[Path], None],
    line: str,
) -> None:
    run, out = _damaged(tmp_path, damage)
    returncode = run_cli("edge-audit", "--run", str(run), "--out", str(out))
    assert returncode == 2, case
    assert capsys.readouterr().err.splitlines() == [line.format(run=run)]
    assert not out.exists()


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("min_fills", "note"),
    [("4", ""), ("5", " reason=too_few_fills fills=4 min_fills=5")],
    ids=["exactly_min_fills_judged", "one_short_too_few"],
)
def test_edge_audit_says_too_few_fills_on_its_bottleneck_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], min_fills: str, note: str
) -> None:
    run = write_fixture_run(tmp_path / "run")
    returncode = run_cli("edge-audit", "--run", str(run), "--min-fills", min_fills)
    assert returncode == 0
    bottleneck = capsys.readouterr().out.splitlines()[-2]
    assert bottleneck.startswith("BOTTLENECK=inventory ") and bottleneck.endswith(f"fills=4{note}")
    first_line = (run / "EDGE_AUDIT.md").read_text().splitlines()[0]
    assert first_line == f"# Edge audit: bottleneck=inventory -22.158210 bps{note}"
