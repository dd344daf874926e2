"""finops on a real book run (README's synthetic pair, the example portfolio): the fixture
statements are what the helper makes from it, the clean one reconciles to 0.0 everywhere, the
broken one names its three discrepancies and exits 1; the day's export agrees with the
backtest report of the same run."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from tests.unit.finops.handmade import mmbot_cli
from tests.unit.finops.statements import (
    BROKEN,
    CLEAN,
    DUPLICATED_ROW,
    FEE_ERROR_USD,
    FEE_ROW,
    FIXTURES,
    MISSING_ROW,
    make_book_run,
    statement_fixtures,
)

DELTAS = ("delta_qty", "delta_price", "delta_notional_usd", "delta_fee_usd")


@pytest.fixture(scope="module")
def book_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_book_run(tmp_path_factory.mktemp("finops_book"))


def test_fixture_statements_are_what_the_helper_makes_from_the_run(
    book_run: Path, request: pytest.FixtureRequest
) -> None:
    made = statement_fixtures(book_run)
    if request.config.getoption("--update-golden"):
        for name, data in made.items():
            (FIXTURES / name).write_bytes(data)
    for name, data in made.items():
        assert (FIXTURES / name).read_bytes() == data, f"{name}: rerun with --update-golden"


def _reconcile(
    capsys: pytest.CaptureFixture[str], run: Path, name: str, out: Path
) -> tuple[int, list[str]]:
    args = ("--runs", str(run), "--statement", str(FIXTURES / name), "--out", str(out))
    code, stdout, err = mmbot_cli(capsys, "finops", "reconcile", *args)
    assert err == ""
    return code, stdout.splitlines()


def test_reconcile_clean_statement_every_delta_is_zero_and_exit_0(
    capsys: pytest.CaptureFixture[str], book_run: Path, tmp_path: Path
) -> None:
    code, lines = _reconcile(capsys, book_run, CLEAN, tmp_path)
    assert code == 0
    assert lines[-1].startswith("RESULT=OK lines=87 max_abs_delta=0.0 delta_notional_usd=0.0 ")
    rows = list(csv.DictReader((tmp_path / "reconcile.csv").open(encoding="ascii")))
    assert [r["status"] for r in rows] == ["ok"] * 87 + ["OK"]
    assert {r[name] for r in rows[:-1] for name in DELTAS} == {"0.0"}
    assert (rows[-1]["delta_notional_usd"], rows[-1]["delta_fee_usd"]) == ("0.0", "0.0")
    payload = json.loads((tmp_path / "reconcile.json").read_text(encoding="ascii"))
    assert (payload["result"], payload["discrepancies"], payload["max_abs_delta"]) == ("OK", [], 0)


def test_reconcile_broken_statement_names_each_discrepancy_and_exits_1(
    capsys: pytest.CaptureFixture[str], book_run: Path, tmp_path: Path
) -> None:
    code, lines = _reconcile(capsys, book_run, BROKEN, tmp_path)
    assert code == 1
    found = [line for line in lines if line.startswith("E_FINOPS_")]
    assert [line.split(":")[0] for line in found] == [
        "E_FINOPS_MISSING_FILL", "E_FINOPS_FEE_MISMATCH", "E_FINOPS_DUPLICATE"]  # fmt: skip
    assert f"line={MISSING_ROW} " in found[0] and f"row={MISSING_ROW} " in found[0]
    assert f"line={FEE_ROW} " in found[1]
    assert f"repeats row={DUPLICATED_ROW - 1} " in found[2]  # row MISSING_ROW is gone above it
    assert lines[-1].startswith("RESULT=FAIL lines=88 ")
    assert lines[-1].endswith(
        "E_FINOPS_DUPLICATE=1 E_FINOPS_FEE_MISMATCH=1 E_FINOPS_MISSING_FILL=1")  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "reconcile.csv").open(encoding="ascii")))
    assert float(rows[FEE_ROW - 1]["delta_fee_usd"]) == pytest.approx(FEE_ERROR_USD, abs=1e-12)
    assert rows[-1]["status"] == "FAIL"


def test_export_of_the_run_agrees_with_its_backtest_report(
    capsys: pytest.CaptureFixture[str], book_run: Path, tmp_path: Path
) -> None:
    code, _, err = mmbot_cli(capsys, "finops", "export", "--runs", str(book_run), "--date",
                             "20240101", "--out", str(tmp_path))  # fmt: skip
    assert (code, err) == (0, "")
    payload = json.loads((tmp_path / "20240101_Z" / "finops.json").read_text(encoding="ascii"))
    report = json.loads((book_run / "backtest.json").read_text(encoding="ascii"))
    for level in ("by_symbol", "by_strategy"):
        expected = {g["key"]: g for g in report[level] if g["key"] != "TOTAL"}
        got = {g["key"]: g for g in payload[level]}
        assert sorted(got) == sorted(expected)
        for key, group in got.items():  # the run is one day: the day is the whole run
            assert group["net_pnl_usd"] == pytest.approx(expected[key]["net_usd"], abs=1e-9)
            assert group["fills"] == expected[key]["fills"]
            assert group["fees_usd"] == pytest.approx(expected[key]["usd"]["fees"], abs=1e-12)
    figures = report["figures"]
    assert payload["totals"]["turnover_usd"] == pytest.approx(figures["notional_usd"], abs=1e-9)
    assert payload["totals"]["rebates_usd"] == pytest.approx(figures["fees_usd"], abs=1e-12)
    assert math.isclose(payload["totals"]["net_pnl_usd"], figures["net_usd"], abs_tol=1e-9)
