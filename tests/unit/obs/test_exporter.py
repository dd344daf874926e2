"""The metric catalogue, its checks, the exposition and the HTTP exporter."""

from __future__ import annotations

import math
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mmbot.core.errors import ObsError
from mmbot.obs.catalog import LABEL_NAMES, METRICS
from mmbot.obs.exporter import HistogramSample, MetricsServer, Sample, checked, exposition

LEG = (("symbol", "BTCUSDT"), ("strategy", "glft"))


def test_catalogue_names_are_unique_with_allowed_labels_and_counters_end_in_total() -> None:
    names = [spec.name for spec in METRICS]
    assert len(names) == len(set(names))
    for spec in METRICS:
        assert set(spec.labels) <= set(LABEL_NAMES), spec.name
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert spec.help and spec.help.isascii()
    required = (
        "pos_skew_breach_total", "intraday_caps_breached", "effective_fee_bps_now",
        "fee_tier_distance_usd", "canary_gate_open", "order_age_ms", "cost_fillrate_ewma",
        "latency_ms_p95_blue", "latency_ms_p95_green", "portfolio_budget_available_usd",
        "allocator_hwm_equity_usd", "quotes_placed_total", "leader_elections_total",
        "order_idem_hits_total",
    )  # fmt: skip
    for name in required:
        assert name in names


@pytest.mark.parametrize(
    ("sample", "code"),
    [
        (Sample("no_such_metric", (), 1.0), "E_OBS_METRIC"),
        (Sample("quotes_placed_total", (("symbol", "BTCUSDT"),), 1.0), "E_OBS_LABEL"),
        (Sample("quotes_placed_total", (*LEG, ("order_id", "x")), 1.0), "E_OBS_LABEL"),
        (
            Sample("quotes_placed_total", (("symbol", "BTCUSDT"), ("strategy", "glft-17")), 1.0),
            None,
        ),
        (
            Sample("quotes_placed_total", (("symbol", "BTCUSDT"), ("strategy", "123456")), 1.0),
            "E_OBS_LABEL",
        ),  # an order id in a label
        (Sample("position_usd", (("symbol", "50000.1"),), 1.0), "E_OBS_LABEL"),  # a price
        (Sample("allocator_hwm_equity_usd", (("region", "eu"),), 1.0), "E_OBS_LABEL"),
    ],
)
def test_samples_outside_the_catalogue_are_one_line_errors(
    sample: Sample, code: str | None
) -> None:
    if code is None:
        assert checked([sample]) == [sample]
        return
    with pytest.raises(ObsError) as info:
        checked([sample])
    assert info.value.line().startswith(f"{code}: ") and "\n" not in info.value.line()


def test_non_finite_values_are_never_exported() -> None:
    snapshot = [
        Sample("effective_fee_bps_now", (), math.nan),
        Sample("fee_tier_distance_usd", (), math.inf),
        Sample("allocator_hwm_equity_usd", (), 100.0),
    ]
    families = list(text_string_to_metric_families(exposition(snapshot).decode()))
    exported = {s.name: s.value for family in families for s in family.samples}
    assert exported == {"allocator_hwm_equity_usd": 100.0}


def test_exposition_is_the_same_bytes_in_catalogue_order_whatever_the_input_order() -> None:
    histogram = HistogramSample("order_age_ms", LEG, ((100.0, 2), (math.inf, 3)), 450.0)
    snapshot = [
        Sample("allocator_hwm_equity_usd", (), 1.0),
        histogram,
        Sample("quotes_placed_total", LEG, 5.0),
    ]
    first = exposition(snapshot)
    assert first == exposition(list(reversed(snapshot)))
    families = {f.name: f for f in text_string_to_metric_families(first.decode())}
    assert list(families) == ["quotes_placed", "order_age_ms", "allocator_hwm_equity_usd"]
    buckets = [s for s in families["order_age_ms"].samples if s.name == "order_age_ms_bucket"]
    assert [(s.labels["le"], s.value) for s in buckets] == [("100.0", 2.0), ("+Inf", 3.0)]
    assert b"_created" not in first  # no wall-clock series in an artifact


def test_the_http_exporter_serves_the_last_published_snapshot_on_localhost() -> None:
    server = MetricsServer(0)
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/metrics")
        server.collector.publish([Sample("quotes_placed_total", LEG, 3.0)])
        server.collector.publish([Sample("quotes_placed_total", LEG, 7.0)])
        with urllib.request.urlopen(server.url, timeout=5) as response:
            body = response.read().decode()
        assert 'quotes_placed_total{strategy="glft",symbol="BTCUSDT"} 7.0' in body
        port = int(server.url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(ObsError) as info:
            MetricsServer(port)  # taken
        assert info.value.code == "E_OBS_PORT"
    finally:
        server.close()
