"""The run directory's risk files: the engine's risk records and denial counts, row for row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.unit.risk.test_reducing_engine import StartingInventoryPort, _config

from mmbot.core.clock import SimClock
from mmbot.core.types import BUY, SELL, Side
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.loop import Engine
from mmbot.engine.records import fill_records, mid_record, order_records, risk_log
from mmbot.engine.rundir import (
    FillRecord,
    InstrumentRecord,
    OrderRecord,
    RiskLog,
    RunInfo,
    write_run_dir,
)
from mmbot.engine.rundir_commit import MANIFEST, file_sha256
from mmbot.engine.rundir_read import read_run_dir
from mmbot.node import engine_over
from mmbot.risk import RiskRecord
from mmbot.sim import SimParams

SYMBOL = "ALT-USD"
RISK_FILES = ("risk_records.csv", "risk_denials.csv")


def _info() -> RunInfo:
    return RunInfo(
        mode="backtest", seed=7, config_sha256="c" * 64, data_sha256="d" * 64,
        instruments={SYMBOL: InstrumentRecord("synthetic", 0.1, 0.1)}, versions={"mmbot": "t"},
    )  # fmt: skip


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="ascii") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def engine() -> Engine:
    """Return a run that trips the gate: 40 lots over a 19-lot cap, then the day's notional."""
    params, meta = preset("fixture_alt")
    events = EventBatch.concat(list(synthesize(7, 60_000, meta, params)))
    cfg = _config(intraday_max_notional_usd=3_000.0)
    port = StartingInventoryPort(events, SimParams.from_config(cfg), 40)
    engine = engine_over(cfg, port, cfg.strategy.model, clock=SimClock(0))
    engine.run()
    return engine


def test_run_directory_holds_the_engines_risk_records_and_denials(
    engine: Engine, tmp_path: Path
) -> None:
    write_run_dir(
        tmp_path, _info(), fill_records(engine, SYMBOL), order_records(engine, SYMBOL),
        [mid_record(engine, SYMBOL)], risk_log(engine),
    )  # fmt: skip
    records = engine.record.risk_records
    assert {r.code for r in records} >= {
        "E_RISK_POSITION", "E_RISK_SKEW", "E_RISK_TRADING_STATE", "E_RISK_INTRADAY_NOTIONAL",
    }  # fmt: skip
    header, *rows = _rows(tmp_path / "risk_records.csv")
    assert header == ["ts_ns", "code", "detail"]
    assert rows == [[str(r.ts_ns), r.code, r.detail] for r in records]
    assert [f"{code}: ts_ns={ts_ns} {detail}" for ts_ns, code, detail in rows] == (
        engine.record.risk_lines
    )
    assert engine.record.denials
    header, *rows = _rows(tmp_path / "risk_denials.csv")
    assert header == ["code", "denials"]
    assert rows == [[code, str(n)] for code, n in sorted(engine.record.denials.items())]
    listed = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert {name: listed[name] for name in RISK_FILES} == {
        name: file_sha256(tmp_path / name) for name in RISK_FILES
    }
    read_run_dir(tmp_path)  # the directory verifies with the new files


def test_risk_log_rows_are_one_ascii_line_each_and_csv_quoted(tmp_path: Path) -> None:
    log = RiskLog(
        [RiskRecord(5, "E_RISK_KILL_SWITCH", "kill_switch: caf\u00e9, line\none")],
        {"E_RISK_THROTTLE_ORDERS": 3, "E_RISK_MIN_QTY": 1},
    )
    write_run_dir(tmp_path, _info(), [], [], [], log)
    text = (tmp_path / "risk_records.csv").read_text(encoding="ascii")
    assert text == 'ts_ns,code,detail\n5,E_RISK_KILL_SWITCH,"kill_switch: caf\\xe9, line\\none"\n'
    assert (tmp_path / "risk_denials.csv").read_text() == (
        "code,denials\nE_RISK_MIN_QTY,1\nE_RISK_THROTTLE_ORDERS,3\n"
    )


def test_run_without_a_risk_log_writes_header_only_risk_files(tmp_path: Path) -> None:
    write_run_dir(tmp_path, _info(), [], [], [])
    assert [_rows(tmp_path / name) for name in RISK_FILES] == [
        [["ts_ns", "code", "detail"]],
        [["code", "denials"]],
    ]


def test_fill_and_order_records_take_an_int_side_as_a_side_and_refuse_others() -> None:
    fill = FillRecord(1, "7", "s-1", SYMBOL, SELL, 100.5, 0.1, True, 0.0, "USD", 100.4, "s")  # type: ignore[arg-type]
    order = OrderRecord("7", "s-1", SYMBOL, "s", BUY, 100.5, 0.1, 0, 0, 1, "filled", 0.1)  # type: ignore[arg-type]
    assert (fill.side, order.side) == (Side.SELL, Side.BUY)
    assert (fill.row()[4], order.row()[4]) == ("sell", "buy")
    with pytest.raises(ValueError, match="0 is not a valid Side"):
        FillRecord(1, "7", "s-1", SYMBOL, 0, 100.5, 0.1, True, 0.0, "USD", 100.4, "s")  # type: ignore[arg-type]
