"""Test helpers: small hand-made run directories (any symbols, days and fees), and a test-only
`mmbot` app with the finops and investor commands (cli/app.py does not register them here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pytest
import typer

from mmbot.cli import finops_cmd, investor_cmd
from mmbot.cli.errors import run_guarded
from mmbot.engine.rundir import (
    FillRecord,
    InstrumentRecord,
    MidSeriesRecord,
    OrderRecord,
    RunInfo,
    write_run_dir,
)

S: Final = 1_000_000_000
H: Final = 3600 * S
DAY: Final = 24 * H
T0: Final = 1_704_067_200 * S  # 2024-01-01T00:00:00Z


def fill(ts_ns: int, symbol: str, strategy: str, side: int, price: float, qty: float,
         fee: float, order_id: str) -> FillRecord:  # fmt: skip
    """Return a fill (a maker when it earns a rebate) of order order_id."""
    return FillRecord(ts_ns, order_id, f"{strategy}-{order_id}", symbol, side, price, qty,
                      fee <= 0, fee, "USD", price, strategy)  # fmt: skip


def _order(record: FillRecord) -> OrderRecord:
    return OrderRecord(record.order_id, record.client_order_id, record.symbol, record.strategy,
                       record.side, record.price, record.qty, record.ts_ns - S, record.ts_ns - S,
                       record.ts_ns, "filled", record.qty)  # fmt: skip


def write_run(
    out: Path,
    fills: Sequence[FillRecord],
    mids: Mapping[str, Sequence[tuple[int, float]]],
    config_sha256: str = "c" * 64,
) -> Path:
    """Write a run directory of fills (sorted by ts) and mids by symbol; return out."""
    series = [MidSeriesRecord(symbol, np.array([ts for ts, _ in points], np.int64),
                              np.array([mid for _, mid in points])) for symbol, points in
              mids.items()]  # fmt: skip
    info = RunInfo(mode="backtest", seed=7, config_sha256=config_sha256, data_sha256="d" * 64,
                   instruments={symbol: InstrumentRecord("synthetic", 0.01, 0.001)
                                for symbol in mids}, versions={"mmbot": "test"})  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(fills, key=lambda record: record.ts_ns)
    write_run_dir(out, info, ordered, [_order(record) for record in ordered], series)
    return out


def cli_app() -> typer.Typer:
    """Return an `mmbot` app with `finops` and `investor` (the two lines cli/app.py lacks)."""
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    app.add_typer(finops_cmd.app, name="finops")
    app.add_typer(investor_cmd.app, name="investor")
    return app


def run_cli_app(*args: str) -> int:
    """Run `mmbot args...` as the console script does (one-line errors, exit codes) in this
    process; return the exit code."""
    return int(run_guarded(typer.main.get_command(cli_app()), list(args), debug=False))


def mmbot_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `mmbot args...` (run_cli_app); return (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = run_cli_app(*args)
    out, err = capsys.readouterr()
    return code, out, err
