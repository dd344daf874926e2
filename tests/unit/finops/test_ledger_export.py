"""finops export: a day of the ledger per leg, worked by hand over a run that holds a position
across midnight; the folder's bytes repeat; errors are one line each."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from tests.unit.finops.handmade import DAY, T0, H, fill, mmbot_cli, write_run

from mmbot.core.errors import UsageError
from mmbot.engine.rundir_read import read_run_dir
from mmbot.finops import LegDay, day_legs, merge_legs, parse_day

# BTC/glft buys 2 at 100 (rebate 0.02), sells 1 at 101 (fee 0.01) on day 1 and carries 1 into
# day 2 (mark 102), where it sells it at 103 (fee 0.01); ETH/fixed buys 5 at 10 on day 2.
FILLS = [
    fill(T0 + H, "BTCUSDT", "glft", 1, 100.0, 2.0, -0.02, "1"),
    fill(T0 + 2 * H, "BTCUSDT", "glft", -1, 101.0, 1.0, 0.01, "2"),
    fill(T0 + DAY + H, "BTCUSDT", "glft", -1, 103.0, 1.0, 0.01, "3"),
    fill(T0 + DAY + 2 * H, "ETHUSDT", "fixed", 1, 10.0, 5.0, 0.005, "1"),
]
MIDS = {
    "BTCUSDT": [
        (T0, 100.0),
        (T0 + 23 * H, 102.0),
        (T0 + DAY + H, 103.0),
        (T0 + DAY + 3 * H, 104.0),
    ],
    "ETHUSDT": [(T0 + DAY, 10.0), (T0 + DAY + 3 * H, 10.5)],
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "runs" / "run-a", FILLS, MIDS)


def _legs(run_dir: Path, day: str) -> dict[tuple[str, str], LegDay]:
    return {(leg.symbol, leg.strategy): leg for leg in day_legs(read_run_dir(run_dir),
                                                                 parse_day(day))}  # fmt: skip


def test_day_legs_day_one_marks_the_carried_position_at_the_last_mid_of_the_day(
    run_dir: Path,
) -> None:
    legs = _legs(run_dir, "20240101")
    assert list(legs) == [("BTCUSDT", "glft")]  # ETH neither traded nor held a position
    btc = legs["BTCUSDT", "glft"]
    assert (btc.fills, btc.turnover_usd, btc.cash_flow_usd) == (2, 301.0, -99.0)
    assert (btc.fees_paid_usd, btc.rebates_usd, btc.fees_usd) == (0.01, -0.02, -0.01)
    assert (btc.position_start_qty, btc.position_end_qty, btc.position_end_usd) == (0, 1, 102)
    assert btc.gross_pnl_usd == pytest.approx(3.0, abs=1e-12)
    assert btc.net_pnl_usd == pytest.approx(3.01, abs=1e-12)  # a rebate adds to net
    assert btc.funding_usd == 0.0


def test_day_legs_day_two_starts_from_the_carried_position(run_dir: Path) -> None:
    legs = _legs(run_dir, "20240102")
    btc, eth = legs["BTCUSDT", "glft"], legs["ETHUSDT", "fixed"]
    assert (btc.position_start_qty, btc.position_start_usd, btc.position_end_qty) == (1, 102, 0)
    assert btc.gross_pnl_usd == pytest.approx(1.0, abs=1e-12)  # 103 - 102
    assert btc.net_pnl_usd == pytest.approx(0.99, abs=1e-12)
    assert eth.position_end_usd == 52.5 and eth.net_pnl_usd == pytest.approx(2.495, abs=1e-12)


def test_day_legs_days_add_up_to_the_run_marked_at_its_final_mids(run_dir: Path) -> None:
    days = [leg for day in ("20240101", "20240102") for leg in _legs(run_dir, day).values()]
    final_mid = {"BTCUSDT": 104.0, "ETHUSDT": 10.5}
    direct = math.fsum(f.side * f.qty * (final_mid[f.symbol] - f.price) - f.fee for f in FILLS)
    assert math.fsum(leg.net_pnl_usd for leg in days) == pytest.approx(direct, abs=1e-9)


def test_merge_legs_sums_the_same_leg_of_two_runs(tmp_path: Path, run_dir: Path) -> None:
    other = write_run(tmp_path / "runs" / "run-b", FILLS[:2], {"BTCUSDT": MIDS["BTCUSDT"]})
    day = parse_day("20240101")
    merged = merge_legs([*day_legs(read_run_dir(run_dir), day),
                         *day_legs(read_run_dir(other), day)])  # fmt: skip
    assert len(merged) == 1
    assert (merged[0].fills, merged[0].turnover_usd, merged[0].position_end_qty) == (4, 602.0, 2.0)


@pytest.mark.parametrize("text", ["2024-01-01", "20241301", "2024111", "yesterday"])
def test_parse_day_refuses_what_is_not_yyyymmdd(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_day(text)
    assert caught.value.code == "E_FINOPS_DATE"


def _export(
    capsys: pytest.CaptureFixture[str], runs: Path, out: Path, day: str
) -> tuple[int, str, str]:
    args = ("--runs", str(runs), "--date", day, "--out", str(out))
    return mmbot_cli(capsys, "finops", "export", *args)


def test_export_writes_csv_with_total_last_and_json_that_agree(
    capsys: pytest.CaptureFixture[str], run_dir: Path, tmp_path: Path
) -> None:
    code, out, err = _export(capsys, run_dir.parent, tmp_path / "dist", "20240102")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].startswith("RESULT=OK day=20240102 runs=1 legs=2 fills=2 ")
    folder = tmp_path / "dist" / "20240102_Z"
    rows = list(csv.DictReader((folder / "pnl.csv").open(encoding="ascii")))
    assert [(r["symbol"], r["strategy"]) for r in rows] == [
        ("BTCUSDT", "glft"), ("ETHUSDT", "fixed"), ("TOTAL", "")]  # fmt: skip
    assert rows[-1]["net_pnl_usd"] == "3.485000"  # 0.99 + 2.495
    assert rows[-1]["fees_paid_usd"] == "0.015000" and rows[-1]["rebates_usd"] == "0.000000"
    positions = list(csv.DictReader((folder / "positions.csv").open(encoding="ascii")))
    assert positions[-1]["position_end_qty"] == ""  # base units of two symbols do not add
    assert positions[-1]["position_end_usd"] == "52.500000"
    payload = json.loads((folder / "finops.json").read_text(encoding="ascii"))
    assert payload["totals"]["net_pnl_usd"] == pytest.approx(3.485, abs=1e-12)
    assert [g["key"] for g in payload["by_symbol"]] == ["BTCUSDT", "ETHUSDT"]
    assert payload["runs"][0]["run"] == "run-a" and "funding" in payload
    for name in ("pnl.csv", "positions.csv", "finops.json"):
        data = (folder / name).read_bytes()
        assert data.isascii() and b"\r" not in data and data.endswith(b"\n")


def test_export_repeated_gives_the_same_bytes(
    capsys: pytest.CaptureFixture[str], run_dir: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second, second):  # the third replaces the second's folder whole
        assert _export(capsys, run_dir, out, "20240101")[0] == 0
    names = sorted(p.name for p in (first / "20240101_Z").iterdir())
    assert names == ["finops.json", "pnl.csv", "positions.csv"]
    for name in names:
        assert (first / "20240101_Z" / name).read_bytes() == (
            second / "20240101_Z" / name).read_bytes()  # fmt: skip


@pytest.mark.parametrize(
    ("day", "code"),
    [("20240105", "E_FINOPS_DAY_EMPTY"), ("2024-01-01", "E_FINOPS_DATE")],
)
def test_export_bad_day_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], run_dir: Path, tmp_path: Path, day: str, code: str
) -> None:
    exit_code, out, err = _export(capsys, run_dir, tmp_path / "dist", day)
    assert exit_code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"{code}: ")


def test_export_refuses_a_day_folder_holding_other_files(
    capsys: pytest.CaptureFixture[str], run_dir: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "dist" / "20240101_Z" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine\n")
    exit_code, _, err = _export(capsys, run_dir, tmp_path / "dist", "20240101")
    assert exit_code == 2 and err.startswith("E_FINOPS_OUT_FOREIGN: ")
    assert notes.read_text() == "mine\n"


def test_export_without_a_run_directory_is_e_finops_no_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exit_code, _, err = _export(capsys, tmp_path, tmp_path / "dist", "20240101")
    assert exit_code == 2 and err.startswith("E_FINOPS_NO_RUNS: ")


def test_export_of_a_half_written_run_is_its_audit_error(
    capsys: pytest.CaptureFixture[str], run_dir: Path, tmp_path: Path
) -> None:
    (run_dir / "fills.csv").write_text((run_dir / "fills.csv").read_text() + "\n")
    exit_code, _, err = _export(capsys, run_dir, tmp_path / "dist", "20240101")
    assert exit_code == 2 and err.startswith("E_RUN_INCOMPLETE: ")
