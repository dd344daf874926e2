"""The unified metrics JSON (release checklist, "Finalize artifacts"): a run's metric values as
one deterministic document.

Built from a run directory's metrics.prom (the Prometheus text the run's exporter served) and
its run.json: `{"config": {...}, "metrics": {...}, "runtime": {"utc", "version"}}`. A metric
without labels is a number; one with labels maps `k=v,k=v` (label names sorted) to a number;
a histogram gives its `_bucket` (with `le`), `_count` and `_sum`. Numbers are rounded to
DECIMALS places (no `-0.5000000000000011`, no `-0.0`); the writer sorts keys, so the same
inputs and the same injected time give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from prometheus_client.parser import text_string_to_metric_families

from mmbot.artifacts import utc_iso

DECIMALS: Final = 6


def _number(value: float) -> float | int:
    rounded = round(value, DECIMALS) + 0.0  # + 0.0: never -0.0
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def metric_values(prom_text: str) -> dict[str, object]:
    """Return the samples of a Prometheus text exposition as the document's `metrics`."""
    metrics: dict[str, object] = {}
    for family in text_string_to_metric_families(prom_text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue  # a wall-clock series, never part of a deterministic artifact
            value = _number(sample.value)
            if not sample.labels:
                metrics[sample.name] = value
                continue
            key = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            series = metrics.setdefault(sample.name, {})
            assert isinstance(series, dict)
            series[key] = value
    return metrics


def metrics_document(
    prom_text: str, run_info: Mapping[str, object], now_ns: int, version: str
) -> dict[str, object]:
    """Return the unified metrics document of a run (run_info: its run.json)."""
    return {
        "config": {key: run_info.get(key) for key in ("config_sha256", "data_sha256", "mode")},
        "metrics": metric_values(prom_text),
        "runtime": {"utc": utc_iso(now_ns), "version": version},
    }
