"""The unified metrics JSON: sorted, rounded, the same bytes for the same run and time."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import run_cli

from mmbot.obs.exporter import HistogramSample, Sample, exposition
from mmbot.obs.metrics_json import metric_values, metrics_document

LEG = (("symbol", "BTCUSDT"), ("strategy", "glft"))
PROM = exposition([
    Sample("effective_fee_bps_now", (), -0.5000000000000011),
    Sample("quotes_placed_total", LEG, 12.0),
    Sample("pnl_usd", LEG, -1e-9),
    HistogramSample("order_age_ms", LEG, ((100.0, 2), (float("inf"), 3)), 450.25),
]).decode()  # fmt: skip


def test_values_are_rounded_and_labelled_series_keyed_by_sorted_labels() -> None:
    values = metric_values(PROM)
    assert values["effective_fee_bps_now"] == -0.5
    assert values["quotes_placed_total"] == {"strategy=glft,symbol=BTCUSDT": 12}
    assert values["pnl_usd"] == {"strategy=glft,symbol=BTCUSDT": 0.0}  # no -0.0
    assert values["order_age_ms_bucket"] == {
        "le=+Inf,strategy=glft,symbol=BTCUSDT": 3, "le=100.0,strategy=glft,symbol=BTCUSDT": 2,
    }  # fmt: skip
    assert values["order_age_ms_sum"] == {"strategy=glft,symbol=BTCUSDT": 450.25}
    assert not [name for name in values if name.endswith("_created")]


def test_dump_of_a_run_is_the_same_bytes_for_the_same_time(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.prom").write_text(PROM, encoding="ascii")
    (run / "run.json").write_text('{"config_sha256":"c","data_sha256":"d","mode":"live-sim"}')
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    for out in outs:
        assert run_cli("metrics", "dump", "--run", str(run), "--out", str(out),
                       "--at", "2026-01-02T03:04:05Z") == 0  # fmt: skip
    first = outs[0].read_bytes()
    assert first == outs[1].read_bytes() and first.endswith(b"}\n") and first.isascii()
    document = json.loads(first)
    assert document["runtime"]["utc"] == "2026-01-02T03:04:05Z"
    assert document["config"] == {"config_sha256": "c", "data_sha256": "d", "mode": "live-sim"}
    assert list(document) == sorted(document)
    assert document == json.loads(json.dumps(metrics_document(PROM, document["config"],
        1767323045_000_000_000, document["runtime"]["version"])))  # fmt: skip


def test_dump_without_metrics_prom_is_one_line(tmp_path: Path, capsys: object) -> None:
    assert (
        run_cli("metrics", "dump", "--run", str(tmp_path), "--out", str(tmp_path / "m.json")) == 2
    )
    assert not (tmp_path / "m.json").exists()
