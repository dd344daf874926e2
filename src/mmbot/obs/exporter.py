"""Metric samples, their checks, and their Prometheus exposition (HTTP and text).

The engine's state lives in the engine's thread; the HTTP server answers scrapes on its own.
So values are pushed, not pulled: whoever runs the engine builds a snapshot of samples
(engine/metrics.py) at most once a second and publishes it; a scrape reads the last snapshot
(a reference swap, so a scrape never sees half a snapshot or touches engine state). Every
snapshot is checked against the catalogue (catalog.py) before it is published: a metric not
in the catalogue, a label the metric does not carry, or a label value that looks like an
order id or a price is an E_OBS_LABEL error; a value that is not finite is dropped, so no
NaN or Inf is ever exported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Final, NamedTuple

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from mmbot.core.errors import ObsError
from mmbot.obs.catalog import METRICS, MetricSpec

_SPECS: Final = {spec.name: spec for spec in METRICS}
# A label value is a name (symbol, strategy, side, venue, region, colour), never a number:
# order ids and prices would make a series per order.
_LABEL_VALUE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$")


class Sample(NamedTuple):
    """One series' value: a counter's total or a gauge's level."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


class HistogramSample(NamedTuple):
    """One histogram series: cumulative counts per upper bound (+Inf last), sum and count."""

    name: str
    labels: tuple[tuple[str, str], ...]
    buckets: tuple[tuple[float, int], ...]
    sum: float


Snapshot = Sequence[Sample | HistogramSample]


def checked(snapshot: Snapshot) -> list[Sample | HistogramSample]:
    """Return snapshot's samples with finite values, in catalogue order then label order;
    ObsError (E_OBS_METRIC / E_OBS_LABEL) when a sample breaks the catalogue."""
    kept: list[Sample | HistogramSample] = []
    for sample in snapshot:
        spec = _SPECS.get(sample.name)
        if spec is None:
            raise ObsError("E_OBS_METRIC", f"metric={sample.name} is not in obs/catalog.py")
        _check_labels(spec, sample.labels)
        value = sample.value if isinstance(sample, Sample) else sample.sum
        if math.isfinite(value):
            kept.append(sample)
    order = {spec.name: index for index, spec in enumerate(METRICS)}
    return sorted(kept, key=lambda s: (order[s.name], s.labels))


def _check_labels(spec: MetricSpec, labels: tuple[tuple[str, str], ...]) -> None:
    names = tuple(name for name, _ in labels)
    if names != spec.labels:
        raise ObsError(
            "E_OBS_LABEL",
            f"metric={spec.name} labels={list(names)} expected {list(spec.labels)} "
            "(obs/catalog.py)",
        )
    for name, value in labels:
        if not _LABEL_VALUE.match(value):
            raise ObsError(
                "E_OBS_LABEL",
                f"metric={spec.name} label {name}={value!r}: a label value is a short name, "
                "never an order id or a price",
            )


def _families(samples: Iterable[Sample | HistogramSample]) -> Iterator[Metric]:
    """Yield one metric family per catalogue metric present in samples (samples sorted)."""
    family: Metric | None = None
    for sample in samples:
        spec = _SPECS[sample.name]
        if family is None or family.name != _family_name(spec):
            if family is not None:
                yield family
            family = _family(spec)
        values = [value for _, value in sample.labels]
        if isinstance(sample, HistogramSample):
            assert isinstance(family, HistogramMetricFamily)
            buckets = [(_bound(le), count) for le, count in sample.buckets]
            family.add_metric(values, buckets, sample.sum)
        else:
            family.add_metric(values, sample.value)  # type: ignore[attr-defined]
    if family is not None:
        yield family


def _family_name(spec: MetricSpec) -> str:
    return spec.name.removesuffix("_total") if spec.type == "counter" else spec.name


def _family(spec: MetricSpec) -> Metric:
    labels = list(spec.labels)
    if spec.type == "counter":
        return CounterMetricFamily(_family_name(spec), spec.help, labels=labels)
    if spec.type == "gauge":
        return GaugeMetricFamily(spec.name, spec.help, labels=labels)
    return HistogramMetricFamily(spec.name, spec.help, labels=labels)


def _bound(le: float) -> str:
    return "+Inf" if math.isinf(le) else repr(float(le))


class SnapshotCollector(Collector):
    """Serve the last published snapshot."""

    def __init__(self) -> None:
        self._samples: list[Sample | HistogramSample] = []

    def publish(self, snapshot: Snapshot) -> None:
        """Check snapshot and make it what scrapes see from now on."""
        self._samples = checked(snapshot)

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families of the last snapshot (prometheus-client's hook)."""
        return _families(self._samples)


def exposition(snapshot: Snapshot) -> bytes:
    """Return snapshot in the Prometheus text format (a run directory's metrics.prom): the
    same bytes for the same snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    collector = SnapshotCollector()
    collector.publish(snapshot)
    registry.register(collector)
    return generate_latest(registry)


class MetricsServer:
    """An HTTP exporter on host:port serving a SnapshotCollector (port 0: any free port)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.collector = SnapshotCollector()
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(self.collector)
        try:
            self._server, self._thread = start_http_server(port, host, registry=self._registry)
        except OSError as exc:
            raise ObsError(
                "E_OBS_PORT",
                f"cannot serve metrics on {host}:{port} ({exc.strerror}); pick another "
                "--metrics-port (0: any free port)",
            ) from None
        self.url = f"http://{host}:{self._server.server_port}/metrics"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
