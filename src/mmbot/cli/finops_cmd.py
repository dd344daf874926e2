"""`mmbot finops export|reconcile`: the ledger per day and leg; the ledger against a venue
statement (docs/FINOPS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbot.artifacts import fmt6
from mmbot.cli.examples import examples
from mmbot.finops import (
    EXPORT_FILES,
    Reconciliation,
    discrepancy_lines,
    export_dir,
    ledger_executions,
    load_runs,
    match,
    parse_day,
    read_statement,
    write_export,
    write_reconciliation,
)

DEFAULT_OUT = Path("dist/finops")
app = typer.Typer(help="FinOps: daily ledger export, venue reconciliation.", no_args_is_help=True)
RunsOption = Annotated[
    Path, typer.Option("--runs", help="A run directory, or a folder of run directories.")
]


@app.command(
    epilog=examples(
        "mmbot finops export --runs out/book --date 20240101",
        "mmbot finops export --runs out/runs --date 20240101 --out dist/finops",
    )
)
def export(
    runs: RunsOption,
    date: Annotated[str, typer.Option("--date", help="UTC day, YYYYMMDD.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for <YYYYMMDD>_Z/.")] = DEFAULT_OUT,
) -> None:
    """Write a UTC day's PnL, fees, rebates, turnover, funding and positions per leg (symbol,
    strategy) as CSV (TOTAL last) and JSON under <out>/<YYYYMMDD>_Z/."""
    day = parse_day(date)
    named_runs = load_runs(runs)
    done = write_export(named_runs, day, out)
    for name in EXPORT_FILES:
        typer.echo(f"wrote {export_dir(out, day) / name}")
    total = done.total
    typer.echo(
        f"RESULT=OK day={day.yyyymmdd} runs={len(named_runs)} legs={len(done.legs)} "
        f"fills={total.fills} net_pnl_usd={fmt6(total.net_pnl_usd)} "
        f"fees_usd={fmt6(total.fees_usd)} turnover_usd={fmt6(total.turnover_usd)}"
    )


@app.command(
    epilog=examples(
        "mmbot finops reconcile --runs out/live --statement "
        "'Binance-Futures-Trade-History(UTC+0).csv'",
    )
)
def reconcile(
    runs: RunsOption,
    statement: Annotated[
        Path, typer.Option("--statement", help="Binance USD-M trade-history export (CSV).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for reconcile.csv and reconcile.json.")
    ] = DEFAULT_OUT / "reconcile",
) -> None:
    """Match every ledger fill (fills.csv) to the statement; print each discrepancy as one
    E_FINOPS_* line; exit 1 unless every |delta| <= 1e-8 and nothing is missing or extra."""
    named_runs = load_runs(runs)
    ledger = [fill for name, data in named_runs for fill in ledger_executions(name, data)]
    done = Reconciliation(match(ledger, read_statement(statement)))
    for path in write_reconciliation(done, statement, [name for name, _ in named_runs], out):
        typer.echo(f"wrote {path}")
    for line in discrepancy_lines(done):
        typer.echo(line)
    counts = " ".join(f"{code}={count}" for code, count in done.counts().items())
    typer.echo(
        f"RESULT={'OK' if done.passed else 'FAIL'} lines={len(done.lines)} "
        f"max_abs_delta={done.max_abs_delta()!r} "
        f"delta_notional_usd={done.total('delta', 'notional_usd')!r} "
        f"delta_fee_usd={done.total('delta', 'fee_usd')!r}" + (f" {counts}" if counts else "")
    )
    if not done.passed:
        raise typer.Exit(code=1)
