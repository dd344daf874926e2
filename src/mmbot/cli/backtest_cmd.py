"""`mmbot backtest run|wf`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mmbot.backtest.book_report import group_lines
from mmbot.backtest.run import verdict_line
from mmbot.backtest.wf import WfSpec
from mmbot.backtest.wf_exec import ExecutorName
from mmbot.backtest.wf_tasks import OBJECTIVES
from mmbot.cli.examples import examples
from mmbot.cli.progress import QuietOption, progress_bar
from mmbot.config import load_config
from mmbot.data.dataset import DEFAULT_MAX_GAP_NS
from mmbot.node import run_backtest, walk_forward

app = typer.Typer(help="Backtest on recorded or synthetic events.", no_args_is_help=True)

StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 1 unless VERDICT=PASS (default: exit 0 once the reports are written).",
    ),
]

LenientOption = Annotated[
    bool,
    typer.Option(
        "--lenient", help="Count gaps and overlaps between data files instead of failing."
    ),
]
MaxGapOption = Annotated[
    float,
    typer.Option(
        "--max-gap-s",
        min=0.0,
        help="Longest pause between consecutive data files that is not a gap "
        f"(ts_local_ns; default {DEFAULT_MAX_GAP_NS // 1_000_000_000}).",
    ),
]


def exit_unless_pass(verdict: str, strict: bool) -> None:
    """Under --strict, end the command with exit code 1 when the verdict is not PASS."""
    if strict and verdict != "PASS":
        raise typer.Exit(code=1)


@app.command(
    epilog=examples(
        "mmbot backtest run -c configs/example.yaml --data out/data/synth.parquet --out out/run",
        "mmbot backtest run -c configs/fixtures/backtest_pass.yaml --data out/data/alt.parquet "
        "--out out/pass --strict",
        "mmbot backtest run -c configs/portfolio_example.yaml --data out/data/book --out out/book",
        "mmbot backtest run -c configs/example.yaml --data 'out/data/days/*/*.parquet' "
        "--out out/days",
    )
)
def run(
    out: Annotated[Path, typer.Option("--out", help="Run directory to write.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Event file (Parquet, mmbot schema), a folder or a glob of daily files "
            "(SYMBOL/YYYY-MM-DD.parquet, replayed in order; docs/DATA.md); for a portfolio "
            "config a directory of <symbol>.parquet files (default: each instrument's data).",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (default: embedded).")
    ] = None,
    strict: StrictOption = False,
    lenient: LenientOption = False,
    max_gap_s: MaxGapOption = DEFAULT_MAX_GAP_NS / 1e9,
    quiet: QuietOption = False,
) -> None:
    """Backtest the configured strategy stack (or book); print the verdict, a line per symbol
    and strategy of a book, and where the reports are."""
    effective = load_config(config, os.environ)
    with progress_bar("backtest", "events", quiet) as bar:
        outcome = run_backtest(effective, data, out, typer.echo, lenient=lenient,
                               max_gap_ns=round(max_gap_s * 1e9), progress=bar)  # fmt: skip
    report = outcome.report
    figures = report["figures"]
    bottleneck = report["bottleneck"]
    assert isinstance(figures, dict) and isinstance(bottleneck, dict)
    typer.echo(
        f"{verdict_line(report)} net_bps={float(figures['net_bps']):.6f} "
        f"taker_share_pct={float(figures['taker_share_pct']):.6f} "
        f"order_age_p95_ms={float(figures['order_age_p95_ms']):.6f} "
        f"fills={figures['fills']} bottleneck={bottleneck['component']}"
    )
    for line in group_lines(report):  # a book's report only
        typer.echo(line)
    typer.echo(f"RESULT=OK reports={out}")
    exit_unless_pass(str(report["verdict"]), strict)


@app.command()
def wf(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            help="Event file (Parquet, mmbot schema), a folder or a glob of one symbol's daily "
            "files (replayed in time order; docs/DATA.md); repeat for several.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for wf.json and WF.md.")],
    train_s: Annotated[float, typer.Option("--train-s", help="Train window, seconds.")],
    test_s: Annotated[float, typer.Option("--test-s", help="Test window, seconds.")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (default: embedded).")
    ] = None,
    step_s: Annotated[
        float | None, typer.Option("--step-s", help="Fold step, seconds (default: --test-s).")
    ] = None,
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", help="Dotted key and values, e.g. strategy.risk_aversion=0.05,0.1."),
    ] = None,
    objective: Annotated[
        str, typer.Option("--objective", help=f"One of {', '.join(OBJECTIVES)}.")
    ] = "net_bps",
    engine: Annotated[
        ExecutorName, typer.Option("--engine", help="local (process pool) or ray.")
    ] = "local",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 2,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", envvar="RAY_ADDRESS", help="Join this Ray cluster, not a new one."
        ),
    ] = None,
    lenient: LenientOption = False,
    max_gap_s: MaxGapOption = DEFAULT_MAX_GAP_NS / 1e9,
    quiet: QuietOption = False,
) -> None:
    """Walk forward: search the grid on each train window, test the winner on the next one."""
    effective = load_config(config, os.environ)
    spec = WfSpec(
        train_s=train_s, test_s=test_s, step_s=step_s, grid=tuple(grid or ()),
        objective=objective, executor=engine, workers=workers, ray_address=ray_address,
    )  # fmt: skip
    with progress_bar("walk-forward", "tasks", quiet) as bar:
        report = walk_forward(effective, data, out, spec, typer.echo, bar, lenient=lenient,
                              max_gap_ns=round(max_gap_s * 1e9))  # fmt: skip
    aggregate = report["aggregate"]
    assert isinstance(aggregate, dict)
    typer.echo(
        f"objective={objective} folds={aggregate['folds']} "
        f"test_net_bps_mean={float(aggregate['test_net_bps_mean']):.6f} "
        f"test_net_usd_total={float(aggregate['test_net_usd_total']):.6f} "
        f"positive_fold_fraction={float(aggregate['positive_fold_fraction']):.6f} "
        f"objective_gap={float(aggregate['objective_gap']):.6f}"
    )
    typer.echo(f"RESULT=OK reports={out}")
