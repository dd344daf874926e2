"""The README's first run trades: configs/example.yaml on the default synthetic market.

The README synthesizes 1,000,000 events (32 minutes) with `mmbot data synth --seed 7`; these
tests run the same commands on the first 200,000 of them (6.5 minutes), so they take ~30 s.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _cli import mmbot

from mmbot.backtest.wf import FoldResult, WfSpec, build_wf_report, wf_warnings
from mmbot.backtest.wf_tasks import Fold, GridPoint
from mmbot.config import load_config

EXAMPLE = "configs/example.yaml"
SEED, EVENTS = 7, 200_000
# Measured: 517 fills. Half of that leaves room for changes in the simulator or strategy,
# and is far above what a config that misfits the market gets (the old example: 0 here, 2
# over the README's full 32 minutes, its fee floor 50 ticks from the mid).
MIN_FILLS = 250
# Two 120-s folds fit in the 389-s file: each window quotes after a 60-s volatility warm-up.
WF_WINDOWS = ["--train-s", "120", "--test-s", "120"]
# The README's grid (the README itself uses 600/300-s windows on the full file).
WF_GRID = ["--grid", "strategy.risk_aversion=0.1,0.3", "--grid", "strategy.order_qty_lots=5,10"]


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("first_run") / "synth.parquet"
    args = ["--seed", str(SEED), "--events", str(EVENTS), "--out", str(path)]
    result = mmbot("data", "synth", *args)
    assert result.returncode == 0, result.stderr
    return path


def test_first_run_example_config_trades_hundreds_of_fills(
    synth_data: Path, tmp_path: Path
) -> None:
    result = mmbot("backtest", "run", "--config", EXAMPLE, "--data", str(synth_data),
                   "--out", str(tmp_path / "run"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    fills = re.search(r" fills=(\d+) bottleneck=", result.stdout)
    assert fills is not None, result.stdout
    assert int(fills.group(1)) >= MIN_FILLS, result.stdout


def test_first_run_wf_grid_points_score_apart_in_every_fold(
    synth_data: Path, tmp_path: Path
) -> None:
    result = mmbot("backtest", "wf", "--config", EXAMPLE, "--data", str(synth_data),
                   "--out", str(tmp_path), *WF_WINDOWS, *WF_GRID, "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "wf.json").read_text())
    assert len(report["folds"]) == 2
    for fold in report["folds"]:
        assert len(set(fold["train_objectives"])) == 4, fold["train_objectives"]
        assert fold["test"]["fills"] > 0
    assert report["aggregate"]["folds_with_grid_tie"] == 0
    assert "folds_with_grid_tie" not in result.stdout
    # A 120-s test window quotes for ~60 s: fewer fills than the backtest threshold (100).
    few = report["aggregate"]["folds_with_few_fills"]
    assert few > 0
    assert f"WARNING folds_with_few_fills={few} min_test_fills=100 " in result.stdout
    assert f"WARNING folds_with_few_fills={few} " in (tmp_path / "WF.md").read_text()


def _figures(fills: int, net_bps: float) -> dict[str, float | int]:
    return {
        "events": 1, "fills": fills, "max_abs_inventory_lots": 1, "notional_usd": 1.0,
        "net_bps": net_bps, "net_usd": net_bps, "net_usd_per_inventory_lot": net_bps,
    }  # fmt: skip


def _aggregate(train_bps_by_fold: list[list[float]], test_fills: list[int]) -> dict[str, object]:
    """Return the wf.json aggregate of folds with these train scores and test fill counts."""
    effective = load_config(None, {})  # backtest.thresholds.min_fills: 100
    points = [GridPoint(i, (("strategy.risk_aversion", 0.1 * (i + 1)),), effective.config)
              for i in range(len(train_bps_by_fold[0]))]  # fmt: skip
    results = [
        FoldResult(Fold(i, 0, 1, 2), [_figures(50, bps) for bps in train_bps], points[0],
                   _figures(fills, 0.0))
        for i, (train_bps, fills) in enumerate(zip(train_bps_by_fold, test_fills, strict=True))
    ]  # fmt: skip
    report = build_wf_report(effective, "0" * 64, WfSpec(1.0, 1.0), points, (0, 2), results)
    aggregate = report["aggregate"]
    assert isinstance(aggregate, dict)
    return aggregate


def test_wf_warnings_few_fills_below_the_limit_not_at_it() -> None:
    aggregate = _aggregate([[0.0, 1.0]] * 3, test_fills=[99, 100, 0])
    assert (aggregate["folds_with_few_fills"], aggregate["min_test_fills"]) == (2, 100)
    assert [line.split(" (")[0] for line in wf_warnings(aggregate, 2)] == [
        "WARNING folds_with_few_fills=2 min_test_fills=100"
    ]


def test_wf_warnings_grid_tie_only_when_every_point_scores_the_same() -> None:
    aggregate = _aggregate([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5 + 1e-12]], test_fills=[100, 100])
    assert aggregate["folds_with_grid_tie"] == 1
    assert [line.split(" (")[0] for line in wf_warnings(aggregate, 3)] == [
        "WARNING folds_with_grid_tie=1 grid_points=3"
    ]
    one_point = _aggregate([[0.5], [0.5]], test_fills=[100, 100])
    assert one_point["folds_with_grid_tie"] == 0
    assert wf_warnings(one_point, 1) == []
