"""`mmbot backtest wf`: walk-forward search of a parameter grid, then out-of-sample tests.

Fold i trains on [t0 + i*step, +train) of exchange time, where t0 is the first event: every
grid point runs there and the best one by the objective is chosen (ties: lower grid index).
The chosen point then runs on the test window that follows. Train and test runs each start
from a flat position, an empty order book of ours and cold strategy estimates. The report
(wf.json, WF.md; see docs/WALK_FORWARD.md) holds no executor detail, so local and Ray runs
of the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import TOTAL_LABEL, Cell, fmt6, markdown_table, utc_iso, write_json, write_text
from mmbot.audit import to_bps
from mmbot.backtest.wf_exec import ExecutorName, SilentTicker, Ticker, open_runner
from mmbot.backtest.wf_tasks import (
    NS_PER_S,
    OBJECTIVES,
    Figures,
    Fold,
    GridPoint,
    Task,
    grid_points,
    split_windows,
)
from mmbot.backtest.wiring import EngineFactory, check_instrument
from mmbot.config import EffectiveConfig
from mmbot.core.errors import UsageError
from mmbot.data import iter_events, read_meta
from mmbot.data.windows import WindowReader
from mmbot.engine.rundir_commit import check_out_dir, file_sha256

REPORT_JSON: Final = "wf.json"
REPORT_MD: Final = "WF.md"


@dataclass(frozen=True, slots=True)
class WfSpec:
    """What to walk forward: windows in seconds, --grid options, objective, executor."""

    train_s: float
    test_s: float
    step_s: float | None = None  # None: the test window, so test windows tile the data
    grid: tuple[str, ...] = ()
    objective: str = "net_bps"
    executor: ExecutorName = "local"
    workers: int = 2
    ray_address: str | None = None


def _check_events(data_paths: Sequence[Path]) -> None:
    """Stream every file through the schema checks (E_DATA_* naming the file and row) before
    any task runs: tasks read row groups, not whole files, and do not check them again."""
    for path in data_paths:
        for _batch in iter_events(path):
            pass


def data_set_sha256(data_paths: Sequence[Path]) -> str:
    """Return the sha256 of one file, or for several the sha256 of their sha256s, one hex
    digest and a newline each, in order."""
    digests = [file_sha256(path) for path in data_paths]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(f"{digest}\n" for digest in digests).encode()).hexdigest()


def _choose(objectives: Sequence[float]) -> int:
    """Return the index of the best objective; the first one wins a tie."""
    best = 0
    for index, value in enumerate(objectives):
        if value > objectives[best]:
            best = index
    return best


def _overrides(point: GridPoint) -> dict[str, object]:
    return dict(point.overrides)


@dataclass(frozen=True, slots=True)
class FoldResult:
    """One fold: every grid point's train figures, the chosen point and its test figures."""

    fold: Fold
    train: list[Figures]
    chosen: GridPoint
    test: Figures


def _objective(figures: Figures, objective: str) -> float:
    return float(figures[objective])


def _fold_entry(result: FoldResult, objective: str) -> dict[str, object]:
    fold, chosen = result.fold, result.chosen
    return {
        "fold": fold.index,
        "grid_index": chosen.index,
        "overrides": _overrides(chosen),
        "test": result.test,
        "test_end_ns": fold.test_end_ns,
        "test_end_utc": utc_iso(fold.test_end_ns),
        "test_objective": _objective(result.test, objective),
        "test_start_ns": fold.test_start_ns,
        "test_start_utc": utc_iso(fold.test_start_ns),
        "train": result.train[chosen.index],
        "train_objective": _objective(result.train[chosen.index], objective),
        "train_objectives": [_objective(figures, objective) for figures in result.train],
        "train_start_ns": fold.train_start_ns,
        "train_start_utc": utc_iso(fold.train_start_ns),
    }


def _is_grid_tie(result: FoldResult, objective: str) -> bool:
    """Return True when every point of a grid of two or more scored the same on train."""
    scores = {_objective(figures, objective) for figures in result.train}
    return len(result.train) > 1 and len(scores) == 1


def _aggregate(
    results: Sequence[FoldResult], objective: str, min_test_fills: int
) -> dict[str, float | int]:
    test_bps = [float(r.test["net_bps"]) for r in results]
    test_usd = [float(r.test["net_usd"]) for r in results]
    notional_usd = sum(float(r.test["notional_usd"]) for r in results)
    train_objective = statistics.fmean(
        _objective(r.train[r.chosen.index], objective) for r in results
    )
    test_objective = statistics.fmean(_objective(r.test, objective) for r in results)
    return {
        "folds": len(results),
        "folds_with_few_fills": sum(int(r.test["fills"]) < min_test_fills for r in results),
        "folds_with_grid_tie": sum(_is_grid_tie(r, objective) for r in results),
        "min_test_fills": min_test_fills,
        "objective_gap": train_objective - test_objective,
        "positive_fold_fraction": sum(usd > 0 for usd in test_usd) / len(results),
        "test_fills_total": sum(int(r.test["fills"]) for r in results),
        "test_max_abs_inventory_lots": max(int(r.test["max_abs_inventory_lots"]) for r in results),
        "test_net_bps_mean": statistics.fmean(test_bps),
        "test_net_bps_median": statistics.median(test_bps),
        "test_net_bps_pooled": to_bps(sum(test_usd), notional_usd),
        "test_net_usd_total": sum(test_usd),
        "test_notional_usd_total": notional_usd,
        "test_objective_mean": test_objective,
        "train_objective_mean": train_objective,
    }


def build_wf_report(
    effective: EffectiveConfig,
    data_sha256: str,
    spec: WfSpec,
    points: Sequence[GridPoint],
    span_ns: tuple[int, int],
    results: Sequence[FoldResult],
) -> dict[str, object]:
    """Return the wf.json payload."""
    return {
        "aggregate": _aggregate(
            results, spec.objective, effective.config.backtest.thresholds.min_fills
        ),
        "config_sha256": effective.describe().sha256,
        "data_sha256": data_sha256,
        "folds": [_fold_entry(result, spec.objective) for result in results],
        "grid": {
            "keys": [key for key, _ in points[0].overrides],
            "points": [{"index": p.index, "overrides": _overrides(p)} for p in points],
        },
        "objective": {"meaning": OBJECTIVES[spec.objective], "name": spec.objective},
        "windows": {
            "first_event_ns": span_ns[0],
            "first_event_utc": utc_iso(span_ns[0]),
            "last_event_ns": span_ns[1],
            "last_event_utc": utc_iso(span_ns[1]),
            "step_s": spec.step_s if spec.step_s is not None else spec.test_s,
            "test_s": spec.test_s,
            "train_s": spec.train_s,
        },
    }


def _fold_table(results: Sequence[FoldResult], aggregate: dict[str, float | int], name: str) -> str:
    rows: list[list[Cell]] = []
    for r in results:
        fold, test = r.fold, r.test
        rows.append([
            str(fold.index), utc_iso(fold.train_start_ns), utc_iso(fold.test_start_ns),
            utc_iso(fold.test_end_ns), r.chosen.index, _objective(r.train[r.chosen.index], name),
            _objective(test, name), test["fills"], float(test["notional_usd"]),
            float(test["net_usd"]), float(test["net_bps"]), test["max_abs_inventory_lots"],
        ])  # fmt: skip
    total: list[Cell] = [
        TOTAL_LABEL, "", "", "", "", aggregate["train_objective_mean"],
        aggregate["test_objective_mean"], aggregate["test_fills_total"],
        aggregate["test_notional_usd_total"], aggregate["test_net_usd_total"],
        aggregate["test_net_bps_pooled"], aggregate["test_max_abs_inventory_lots"],
    ]  # fmt: skip
    columns = [
        "fold", "train_start_utc", "test_start_utc", "test_end_utc", "grid_index",
        "train_objective", "test_objective", "test_fills", "test_notional_usd",
        "test_net_usd", "test_net_bps", "test_max_abs_inventory_lots",
    ]  # fmt: skip
    return markdown_table(columns, rows, total, where=REPORT_MD)


def _grid_table(results: Sequence[FoldResult], points: Sequence[GridPoint], name: str) -> str:
    rows: list[list[Cell]] = []
    means = []
    for point in points:
        chosen = sum(r.chosen.index == point.index for r in results)
        means.append(statistics.fmean(_objective(r.train[point.index], name) for r in results))
        rows.append([str(point.index), point.label(), chosen, means[-1]])
    total: list[Cell] = [TOTAL_LABEL, "", len(results), statistics.fmean(means)]
    columns = ["grid_index", "overrides", "times_chosen", "train_objective_mean"]
    return markdown_table(columns, rows, total, where=REPORT_MD)


def wf_warnings(aggregate: Mapping[str, object], grid_points: int) -> list[str]:
    """Return a `WARNING ...` line for each way the folds are too thin to judge, if any."""
    warnings = []
    if aggregate["folds_with_few_fills"]:
        warnings.append(
            f"WARNING folds_with_few_fills={aggregate['folds_with_few_fills']} "
            f"min_test_fills={aggregate['min_test_fills']} (a test window with fewer fills "
            "is too few to judge; lengthen --test-s or fit the config to the market)"
        )
    if aggregate["folds_with_grid_tie"]:
        warnings.append(
            f"WARNING folds_with_grid_tie={aggregate['folds_with_grid_tie']} "
            f"grid_points={grid_points} (every point scored the same on train, so the first "
            "was taken: the grid does not change the outcome there)"
        )
    return warnings


def _show(value: object) -> str:
    return fmt6(value) if isinstance(value, float) else str(value)


def render_wf_md(
    report: dict[str, object], points: Sequence[GridPoint], results: Sequence[FoldResult]
) -> str:
    """Return WF.md: the out-of-sample aggregate, then a row per fold and per grid point."""
    aggregate, windows, objective = report["aggregate"], report["windows"], report["objective"]
    assert isinstance(aggregate, dict) and isinstance(windows, dict)
    assert isinstance(objective, dict)
    name = str(objective["name"])
    lines = [
        f"# Walk-forward: objective={name} folds={len(results)} grid_points={len(points)}",
        "",
        f"Config sha256 `{report['config_sha256']}`, data sha256 `{report['data_sha256']}`.",
        f"Windows by exchange time from {windows['first_event_utc']}: train "
        f"{fmt6(float(windows['train_s']))} s, test {fmt6(float(windows['test_s']))} s, "
        f"step {fmt6(float(windows['step_s']))} s. Objective {name} ({objective['meaning']}), "
        "maximised; a tie goes to the lower grid index.",
        "",
        "## Aggregate",
        "",
        *(f"- {key}: {_show(aggregate[key])}" for key in sorted(aggregate)),
        "",
        *(f"{line}\n" for line in wf_warnings(aggregate, len(points))),
        "## Folds",
        "",
        "TOTAL: objectives are means over folds; fills, notional and net_usd are sums; "
        "net_bps is pooled (total net_usd / total notional); inventory is the maximum.",
        "",
        _fold_table(results, aggregate, name),
        "## Grid",
        "",
        "train_objective_mean: the point's mean train objective over the folds.",
        "",
        _grid_table(results, points, name),
    ]
    return "\n".join(lines)


def walk_forward(
    effective: EffectiveConfig,
    data_paths: Sequence[Path],
    out: Path,
    spec: WfSpec,
    say: Callable[[str], None],
    ticker: Ticker | None = None,
    *,
    make_engine: EngineFactory,
) -> dict[str, object]:
    """Walk forward over one symbol's event files (in time order) with make_engine's engines,
    write wf.json and WF.md into out, return the report."""
    if spec.objective not in OBJECTIVES:
        raise UsageError(
            "E_WF_OBJECTIVE", f"objective={spec.objective} expected=one of {','.join(OBJECTIVES)}"
        )
    check_out_dir(out, keep_foreign=True)  # before the folds run, not after
    points = grid_points(effective.config, spec.grid, effective.source)
    meta = read_meta(data_paths[0])
    for point in points:
        check_instrument(point.config, meta, data_paths[0])
    _check_events(data_paths)
    span_ns = WindowReader(data_paths).span_ns()
    step_s = spec.step_s if spec.step_s is not None else spec.test_s
    folds = split_windows(
        *span_ns, *(round(s * NS_PER_S) for s in (spec.train_s, spec.test_s, step_s))
    )
    data_sha256 = data_set_sha256(data_paths)
    paths = tuple(str(path.resolve()) for path in data_paths)
    with open_runner(spec.executor, spec.workers, spec.ray_address) as runner:
        ticker = ticker or SilentTicker()
        ticker.start(len(folds) * (len(points) + 1))
        train = runner.run(
            [Task(p.config, paths, data_sha256, f.train_start_ns, f.test_start_ns, make_engine)
             for f in folds for p in points],
            ticker.advance,
        )  # fmt: skip
        per_fold = [train[f.index * len(points) : (f.index + 1) * len(points)] for f in folds]
        chosen = [
            points[_choose([_objective(f, spec.objective) for f in figs])] for figs in per_fold
        ]
        tests = runner.run(
            [Task(c.config, paths, data_sha256, f.test_start_ns, f.test_end_ns, make_engine)
             for f, c in zip(folds, chosen, strict=True)],
            ticker.advance,
        )  # fmt: skip
    results = [
        FoldResult(fold, per_fold[fold.index], chosen[fold.index], test)
        for fold, test in zip(folds, tests, strict=True)
    ]
    report = build_wf_report(effective, data_sha256, spec, points, span_ns, results)
    write_json(out / REPORT_JSON, report)
    write_text(out / REPORT_MD, render_wf_md(report, points, results))
    say(f"wrote {out / REPORT_JSON}")
    say(f"wrote {out / REPORT_MD}")
    aggregate = report["aggregate"]
    assert isinstance(aggregate, dict)
    for line in wf_warnings(aggregate, len(points)):
        say(line)
    return report
