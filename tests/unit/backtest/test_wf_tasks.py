"""Walk-forward building blocks: windows, grid parsing, evaluate, a task's failure.

The warm-book window is tested with its reader, in tests/unit/data/test_windows.py."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from mmbot.backtest.wf import _choose
from mmbot.backtest.wf_tasks import (
    NS_PER_S,
    Failure,
    Fold,
    Task,
    evaluate,
    grid_points,
    parse_grid,
    run_task,
    split_windows,
)
from mmbot.config import MmConfig
from mmbot.core.errors import ConfigError, DataError, MmError, UsageError
from mmbot.data import EventBatch, synthesize
from mmbot.node import build_engine

T0 = 1_704_067_200 * NS_PER_S


@pytest.fixture(scope="module")
def events() -> EventBatch:
    return EventBatch.concat(synthesize(11, 60_000))


def _rebate_config(**strategy: object) -> MmConfig:
    document = MmConfig().model_dump()
    document["fees"]["volume_30d_usd"] = 60_000_000.0
    document["strategy"].update(strategy)
    return MmConfig.model_validate(document)


def test_split_windows_rolls_by_step_and_keeps_only_whole_folds() -> None:
    folds = split_windows(T0, T0 + 1000 * NS_PER_S, 600 * NS_PER_S, 200 * NS_PER_S, 100 * NS_PER_S)
    starts_s = [(f.train_start_ns - T0) // NS_PER_S for f in folds]
    assert starts_s == [0, 100, 200]
    assert folds[2] == Fold(2, T0 + 200 * NS_PER_S, T0 + 800 * NS_PER_S, T0 + 1000 * NS_PER_S)


@pytest.mark.parametrize(
    ("train_ns", "test_ns", "step_ns", "detail"),
    [
        (0, 10, 10, "train_s=0 expected=>0"),
        (10, -1, 10, "test_s=-1e-09 expected=>0"),
        (10, 10, 0, "step_s=0 expected=>0"),
        (900 * NS_PER_S, 200 * NS_PER_S, 1, "train_s+test_s=1100 expected=<=1000.000000"),
    ],
)
def test_split_windows_bad_or_too_long_windows_raise_e_wf_window(
    train_ns: int, test_ns: int, step_ns: int, detail: str
) -> None:
    with pytest.raises(UsageError) as caught:
        split_windows(T0, T0 + 1000 * NS_PER_S, train_ns, test_ns, step_ns)
    assert caught.value.code == "E_WF_WINDOW"
    assert detail in caught.value.detail


def test_parse_grid_reads_values_as_the_field_type() -> None:
    axes = parse_grid(
        ["strategy.risk_aversion=1,0.5", "strategy.order_qty_lots=5", "strategy.model=glft"]
    )
    assert axes == [
        ("strategy.risk_aversion", [1.0, 0.5]),
        ("strategy.order_qty_lots", [5]),
        ("strategy.model", ["glft"]),
    ]
    assert isinstance(axes[0][1][0], float)


@pytest.mark.parametrize(
    "spec",
    [
        ["strategy.risk_aversion"],
        ["strategy.risk_aversion="],
        ["strategy.risk_aversion=0.1,,0.2"],
        ["=0.1"],
        ["strategy..risk_aversion=0.1"],
        ["strategy.risk_aversion=0.1", "strategy.risk_aversion=0.2"],
        ["strategy.risk_aversion=0.1,0.10"],
        ["strategy.risk_aversion.deeper=1"],
    ],
)
def test_grid_malformed_raises_e_wf_grid(spec: list[str]) -> None:
    with pytest.raises(UsageError) as caught:
        grid_points(MmConfig(), spec, "test")
    assert caught.value.code == "E_WF_GRID"


@pytest.mark.parametrize(
    ("spec", "code", "key"),
    [
        ("strategy.risk_aversoin=0.1", "E_CFG_UNKNOWN_KEY", "strategy.risk_aversoin"),
        ("strat.risk_aversion=0.1", "E_CFG_UNKNOWN_KEY", "strat"),
        ("strategy.risk_aversion=abc", "E_CFG_TYPE", "strategy.risk_aversion"),
        ("strategy.order_qty_lots=2.5", "E_CFG_TYPE", "strategy.order_qty_lots"),
        ("strategy.risk_aversion=-1", "E_CFG_RANGE", "strategy.risk_aversion"),
        ("strategy.model=nope", "E_CFG_ENUM", "strategy.model"),
    ],
)
def test_grid_bad_key_or_value_raises_the_config_error(spec: str, code: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        grid_points(MmConfig(), [spec], "cfg.yaml")
    assert caught.value.code == code
    assert caught.value.detail.startswith(f"key={key} ")
    assert "cfg.yaml + --grid" in caught.value.detail


def test_grid_points_cartesian_first_axis_slowest() -> None:
    points = grid_points(
        MmConfig(), ["strategy.risk_aversion=0.05,0.2", "strategy.order_qty_lots=5,10"], "t"
    )
    assert [p.label() for p in points] == [
        "strategy.risk_aversion=0.05 strategy.order_qty_lots=5",
        "strategy.risk_aversion=0.05 strategy.order_qty_lots=10",
        "strategy.risk_aversion=0.2 strategy.order_qty_lots=5",
        "strategy.risk_aversion=0.2 strategy.order_qty_lots=10",
    ]
    assert [p.index for p in points] == [0, 1, 2, 3]
    assert points[3].config.strategy.order_qty_lots == 10
    assert points[3].config.strategy.risk_aversion == 0.2


def test_grid_points_without_grid_is_the_base_config() -> None:
    [point] = grid_points(MmConfig(), [], "t")
    assert point.config == MmConfig() and point.label() == "base"


def test_choose_tie_goes_to_the_lower_grid_index() -> None:
    assert _choose([1.0, 3.0, 3.0, 2.0]) == 1
    assert _choose([0.0, 0.0]) == 0


def test_evaluate_same_input_same_figures_with_fills(events: EventBatch) -> None:
    window = events.slice(15_000, len(events))
    first = evaluate(_rebate_config(), window, build_engine)
    second = evaluate(_rebate_config(), window, build_engine)
    assert first == second
    assert int(first["fills"]) > 0 and float(first["notional_usd"]) > 0
    bps = 1e4 * float(first["net_usd"]) / float(first["notional_usd"])
    assert float(first["net_bps"]) == pytest.approx(bps)
    assert int(first["max_abs_inventory_lots"]) > 0


def test_evaluate_no_events_gives_zero_figures() -> None:
    figures = evaluate(MmConfig(), EventBatch.empty(), build_engine)
    assert figures["fills"] == 0 and figures["net_bps"] == 0.0 and figures["events"] == 0


def test_run_task_error_comes_back_as_a_picklable_failure(tmp_path: Path) -> None:
    task = Task(MmConfig(), (str(tmp_path / "missing.parquet"),), "0" * 64, 0, 1, build_engine)
    result = pickle.loads(pickle.dumps(run_task(task)))
    assert isinstance(result, Failure)
    with pytest.raises(MmError) as caught:
        result.reraise()
    assert isinstance(caught.value, DataError)
    assert caught.value.code == "E_DATA_FILE_MISSING"
