"""`mmbot backtest wf` as a user runs it: byte-identical reports across runs and executors."""

from __future__ import annotations

import hashlib
import itertools
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _cli import clean_env, mmbot
from tests.cli_runner import run_cli

from mmbot.backtest.run import file_sha256
from mmbot.config import load_config
from mmbot.data import SYNTH_META, EventBatch, load_events, synthesize, write_events

N_EVENTS = 150_000
# The default base fee tier (maker 1 bp) puts the fee floor far from the touch: no fills.
CONFIG = """\
instrument:
  venue: SYNTH
  symbol: BTC-USD
fees:
  volume_30d_usd: 60000000.0
"""
GRID = ["--grid", "strategy.risk_aversion=0.05,0.2", "--grid", "strategy.order_qty_lots=5,10"]


@dataclass(frozen=True)
class Inputs:
    config: Path
    data: Path
    train_s: int
    test_s: int


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    folder = tmp_path_factory.mktemp("wf_inputs")
    batches = list(synthesize(3, N_EVENTS, SYNTH_META))
    span_s = (batches[-1].ts_exch_ns[-1] - batches[0].ts_exch_ns[0]) / 1e9
    # Sized from the data so there are three folds whatever the synthetic event rate.
    train_s, test_s = int(0.4 * span_s), int(0.2 * span_s)
    assert test_s >= 30, f"the synthetic file spans only {span_s} s; raise N_EVENTS"
    data = write_events(folder / "events.parquet", iter(batches), SYNTH_META)
    config = folder / "wf.yaml"
    config.write_text(CONFIG)
    return Inputs(config, data, train_s, test_s)


def _wf_args(inputs: Inputs, out: Path, *extra: str, data: Path | None = None) -> list[str]:
    args = ["--config", str(inputs.config), "--data", str(data or inputs.data), "--out", str(out)]
    windows = ["--train-s", str(inputs.train_s), "--test-s", str(inputs.test_s)]
    return ["backtest", "wf", *args, *windows, *GRID, *extra]


def _wf(inputs: Inputs, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return mmbot(*_wf_args(inputs, out, *extra))


def _report_bytes(out: Path) -> tuple[bytes, bytes]:
    return (out / "wf.json").read_bytes(), (out / "WF.md").read_bytes()


@pytest.fixture(scope="module")
def local_run(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wf_local")
    result = _wf(inputs, out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"RESULT=OK reports={out}"
    return out


def test_wf_report_carries_shas_folds_and_aggregate(inputs: Inputs, local_run: Path) -> None:
    report = json.loads((local_run / "wf.json").read_text())
    assert report["data_sha256"] == file_sha256(inputs.data)
    assert report["config_sha256"] == load_config(inputs.config, {}).describe().sha256
    assert len(report["grid"]["points"]) == 4
    folds = report["folds"]
    assert len(folds) == 3
    for fold in folds:
        assert fold["test_start_ns"] == fold["train_start_ns"] + inputs.train_s * 10**9
        assert fold["train_objective"] == max(fold["train_objectives"])
        assert fold["grid_index"] == fold["train_objectives"].index(fold["train_objective"])
    assert sum(fold["test"]["fills"] for fold in folds) > 0
    aggregate = report["aggregate"]
    assert aggregate["folds"] == len(folds)
    assert aggregate["test_net_usd_total"] == pytest.approx(
        sum(fold["test"]["net_usd"] for fold in folds)
    )
    markdown = (local_run / "WF.md").read_text()
    tables = [block for block in markdown.split("\n\n") if block.startswith("|")]
    assert len(tables) == 2
    assert all(table.rstrip("\n").splitlines()[-1].startswith("| TOTAL |") for table in tables)
    assert report["config_sha256"] in markdown and report["data_sha256"] in markdown


def test_wf_repeat_run_gives_byte_identical_reports(
    inputs: Inputs, local_run: Path, tmp_path: Path
) -> None:
    result = _wf(inputs, tmp_path, "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert _report_bytes(tmp_path) == _report_bytes(local_run)


def test_wf_ray_engine_gives_the_local_reports(
    inputs: Inputs, local_run: Path, tmp_path: Path
) -> None:
    # Starts a local Ray instance (num_cpus=2) inside the command; a startup failure is an
    # E_WF_RAY line on stderr and fails here - it is never skipped.
    result = _wf(inputs, tmp_path, "--engine", "ray", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert _report_bytes(tmp_path) == _report_bytes(local_run)


def _without_data_sha256(out: Path) -> tuple[dict[str, object], str]:
    report = json.loads((out / "wf.json").read_text())
    digest = report.pop("data_sha256")
    return report, (out / "WF.md").read_text().replace(digest, "DATA_SHA256")


@pytest.mark.usefixtures("cli_env")
def test_wf_over_the_events_split_in_three_files_gives_the_one_file_reports(
    inputs: Inputs, local_run: Path, tmp_path: Path
) -> None:
    # Small row groups and cuts inside them: windows, and the books that open them, span files
    # and row groups.
    events = load_events(inputs.data)[0]
    cuts = [0, 41_234, 97_001, len(events)]
    folder = tmp_path / "days"
    files = [
        write_events(folder / f"part{i}.parquet", [events.slice(lo, hi)], SYNTH_META, 4_000)
        for i, (lo, hi) in enumerate(itertools.pairwise(cuts))
    ]
    assert run_cli(*_wf_args(inputs, tmp_path / "out", "--quiet", data=folder)) == 0
    assert _without_data_sha256(tmp_path / "out") == _without_data_sha256(local_run)
    digests = "".join(f"{file_sha256(path)}\n" for path in files).encode()
    report = json.loads((tmp_path / "out" / "wf.json").read_text())
    assert report["data_sha256"] == hashlib.sha256(digests).hexdigest()


@pytest.mark.usefixtures("cli_env")
def test_wf_a_bad_row_in_a_later_file_is_one_e_data_line_before_any_fold_runs(
    inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = pq.read_table(
        write_events(tmp_path / "whole.parquet", [EventBatch.concat(synthesize(3, 4_000))],
                     SYNTH_META)
    )  # fmt: skip
    (tmp_path / "whole.parquet").unlink()
    pq.write_table(whole.slice(0, 2_000), tmp_path / "a.parquet")
    later = whole.slice(2_000)  # b.parquet continues a.parquet: only its bad row is wrong
    kinds = later.column("kind").to_numpy().copy()
    kinds[1_500] = 9
    bad = later.set_column(later.schema.get_field_index("kind"), "kind", pa.array(kinds))
    pq.write_table(bad, tmp_path / "b.parquet")
    returncode = run_cli(*_wf_args(inputs, tmp_path / "out", data=tmp_path))
    lines = capsys.readouterr().err.splitlines()
    assert returncode == 2
    assert len(lines) == 1 and lines[0].startswith("E_DATA_UNKNOWN_KIND: file="), lines
    assert "b.parquet row=1501 " in lines[0]
    assert not (tmp_path / "out" / "wf.json").exists()


BAD_INPUTS = [
    (["--grid", "strategy.no_such_key=1"], "E_CFG_UNKNOWN_KEY"),
    (["--grid", "strategy.order_qty_lots"], "E_WF_GRID"),
    (["--objective", "sharpe"], "E_WF_OBJECTIVE"),
    (["--step-s", "0"], "E_WF_WINDOW"),
]


def test_wf_bad_input_one_line_exit_2_in_a_fresh_interpreter(
    inputs: Inputs, tmp_path: Path
) -> None:
    extra, code = BAD_INPUTS[0]
    result = _wf(inputs, tmp_path, *extra)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{code}: "), result.stderr
    assert not (tmp_path / "wf.json").exists()


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(("extra", "code"), BAD_INPUTS[1:])
def test_wf_bad_input_one_line_exit_2(
    inputs: Inputs,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: str,
) -> None:
    returncode = run_cli(*_wf_args(inputs, tmp_path, *extra))
    stderr = capsys.readouterr().err
    assert returncode == 2
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{code}: "), stderr
    assert not (tmp_path / "wf.json").exists()


@pytest.mark.usefixtures("cli_env")
def test_wf_out_naming_a_file_is_one_line_before_any_fold_runs(
    inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "afile"
    out.write_text("mine\n")
    returncode = run_cli(*_wf_args(inputs, out))
    lines = capsys.readouterr().err.splitlines()
    assert returncode == 2
    assert len(lines) == 1 and lines[0].startswith(f"E_RUN_OUT_NOT_DIR: --out {out} is a file")
    assert out.read_text() == "mine\n"


@pytest.mark.usefixtures("cli_env")
def test_wf_data_shorter_than_windows_is_e_wf_window(
    inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = write_events(
        tmp_path / "short.parquet", [EventBatch.concat(synthesize(3, 2_000))], SYNTH_META
    )
    returncode = run_cli(*_wf_args(inputs, tmp_path / "out", data=short))
    assert returncode == 2
    window_s = inputs.train_s + inputs.test_s
    assert capsys.readouterr().err.startswith(f"E_WF_WINDOW: train_s+test_s={window_s} expected=<=")


@pytest.mark.usefixtures("cli_env")
def test_wf_a_missing_day_is_one_e_data_gap_line_or_counted_with_lenient(
    inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = load_events(inputs.data)[0]
    ts = events.ts_local_ns
    # Three parts; the middle one (over a minute of market: more than --max-gap-s 60) is gone.
    cut_a = int(np.searchsorted(ts, ts[0] + 20 * 10**9))
    cut_b = int(np.searchsorted(ts, ts[cut_a] + 70 * 10**9))
    folder = tmp_path / "days"
    write_events(folder / "a.parquet", [events.slice(0, cut_a)], SYNTH_META, 4_000)
    write_events(folder / "c.parquet", [events.slice(cut_b, len(events))], SYNTH_META, 4_000)
    assert run_cli(*_wf_args(inputs, tmp_path / "strict", "--quiet", data=folder)) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("E_DATA_GAP: symbol="), lines
    assert not (tmp_path / "strict").exists()
    lenient = _wf_args(inputs, tmp_path / "lenient", "--quiet", "--lenient", data=folder)
    assert run_cli(*lenient) == 0
    out = capsys.readouterr().out
    assert "data_breaks=1" in out and "E_DATA_GAP: symbol=" in out


@pytest.fixture
def ray_cluster() -> Iterator[str]:
    """A Ray cluster started apart from the command, as an operator starts one (`ray start
    --head`); yield its address. Ray's token authentication is on by default: a client on the
    same host reads the token the head wrote, with RAY_AUTH_MODE=token."""
    ray = str(Path(sys.executable).with_name("ray"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = [ray, "start", "--head", f"--port={port}", "--num-cpus=2",
             "--include-dashboard=false", "--disable-usage-stats"]  # fmt: skip
    started = subprocess.run(start, capture_output=True, text=True, check=False, env=clean_env())
    assert started.returncode == 0, started.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, check=False)


def test_wf_joins_a_running_ray_cluster_or_with_no_address_starts_its_own(
    inputs: Inputs, local_run: Path, tmp_path: Path, ray_cluster: str
) -> None:
    env = {"RAY_ADDRESS": ray_cluster, "RAY_AUTH_MODE": "token"}
    result = mmbot(*_wf_args(inputs, tmp_path, "--engine", "ray", "--quiet"), env=env)
    assert result.returncode == 0, result.stderr
    assert _report_bytes(tmp_path) == _report_bytes(local_run)
    # No address while that cluster runs on the host: a Ray instance of our own, not a join
    # (ray.init() alone would join it and refuse to size it).
    own = mmbot(*_wf_args(inputs, tmp_path / "own", "--engine", "ray", "--workers", "2"))
    assert own.returncode == 0, own.stderr
    assert _report_bytes(tmp_path / "own") == _report_bytes(local_run)
