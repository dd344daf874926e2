"""Real Prometheus and Alertmanager against a running `mmbot run --mode live-sim` (issue 14).

One stack per module: Alertmanager (the shipped monitoring/alertmanager.yml) and Prometheus
(scrape and rule evaluation every second; the shipped rules plus one test-only alert that fires
once a quote is placed) on free 127.0.0.1 ports, and a paced live-sim run of the PASS fixture
serving its metrics. The fixture waits for a few scrapes and the test alert, asks Prometheus
the release checklist's `promtool query instant` queries while the run goes on, then stops the
run with SIGTERM and reads what it reports (live_sim.json, metrics.prom); the tests compare.
Every process starts in its own session and its whole group is ended at teardown, pass or fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from _cli import REPO_ROOT, clean_env
from prometheus_client.parser import text_string_to_metric_families
from tests.unit.monitoring._monitoring import HISTOGRAM_SUFFIXES, MONITORING, RULES, exported_names

from mmbot.config import MmConfig, load_config
from mmbot.node import starting_maker_bps
from mmbot.obs.catalog import METRICS

_BINARIES = ("prometheus", "promtool", "prometheus-alertmanager", "amtool")
_MISSING = [binary for binary in _BINARIES if shutil.which(binary) is None]
pytestmark = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"not installed: {', '.join(_MISSING)} (Debian packages prometheus and "
    "prometheus-alertmanager; .ci/run installs them)",
)

FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
TEST_ALERT = "QuotesPlacedE2E"
# 10 data s per wall s: a decision every 5 ms of wall time, so each 1 s scrape sees the run
# move; the SIGTERM after the checks ends it, the duration only bounds a stalled test.
SPEED, MAX_RUN_S = "10", "40"
FIRST_SCRAPE_TIMEOUT_S = 20.0  # Prometheus scrapes first ~5-6 s after start (FACTS.md)
POLL_TIMEOUT_S = 10.0
SCRAPES_BEFORE_CHECKS = 3
CHECKLIST_QUERIES = (  # ../shared/GO_CHECKLIST.txt, the `promtool query instant` steps
    "sum(quotes_placed_total) > 0",
    "canary_gate_open == 1",
    "intraday_caps_breached == 0",
    "effective_fee_bps_now",
    "fee_tier_distance_usd",
    "sum(order_age_ms_bucket_total)",
    "cost_fillrate_ewma",
    "latency_ms_p95_blue",
    "portfolio_budget_available_usd",
    "allocator_hwm_equity_usd",
    "increase(pos_skew_breach_total[10m]) == 0",
)
# The run is blue (the --colour default): it exports latency_ms_p95_blue only.
SERIES_NAMES = exported_names() - {"latency_ms_p95_green"}
COUNTER_NAMES = {spec.name for spec in METRICS if spec.type == "counter"} | {
    f"{spec.name}{suffix}" for spec in METRICS if spec.type == "histogram"
    for suffix in HISTOGRAM_SUFFIXES
}  # fmt: skip
# Every raw sample (a range selector alone) of the run's series and of `up`, in one query so
# both end at the same scrape (not `scrape_*`, not the recorded series).
RUN_SAMPLES = f'{{job="mmbot", __name__=~"up|{"|".join(sorted(SERIES_NAMES))}"}}[5m]'

# The checklist's "No alerts firing" step. Pending ones are allowed: FillRateCollapse is pending
# from the start, as cost_fillrate_ewma starts at 0 while quotes are placed (docs: Metrics).
FIRING = 'ALERTS{alertstate="firing"}'
TARGET_LABELS = ("__name__", "instance", "job")
SeriesKey = tuple[str, frozenset[tuple[str, str]]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Observed:
    """What Prometheus and Alertmanager answered while the run went on, and the run's report."""

    answers: dict[str, list[dict[str, Any]]]
    samples: dict[SeriesKey, list[tuple[float, float]]]
    scrape_times: list[float]
    alertmanager_alerts: list[dict[str, Any]]
    run_returncode: int
    run_output: str
    report: dict[str, Any]
    final: dict[SeriesKey, float]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[str]) -> None:
    """End process and its whole session: SIGTERM, then SIGKILL if it lingers."""
    for stop_signal in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, stop_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
            return


def _query(prometheus_url: str, expr: str) -> list[dict[str, Any]]:
    """Return `promtool query instant`'s rows for expr: {"metric": labels, "value": [t, v]}
    (a range selector's: "values": [[t, v], ...])."""
    result = subprocess.run(
        ["promtool", "query", "instant", "-o", "json", prometheus_url, expr],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"promtool query {expr!r}: {result.stderr}"
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def _alertmanager_alerts(alertmanager_url: str) -> list[dict[str, Any]]:
    """Return the alerts Alertmanager holds (`amtool alert query`; 0.25 has no `amtool alerts`)."""
    result = subprocess.run(
        ["amtool", "alert", "query", "-o", "json", f"--alertmanager.url={alertmanager_url}"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"amtool alert query: {result.stderr}"
    alerts: list[dict[str, Any]] = json.loads(result.stdout)
    return alerts


def _final_values(prom_text: str) -> dict[SeriesKey, float]:
    """Return the run's metrics.prom as {(series name, labels): value}."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(prom_text)
        for sample in family.samples
    }


def _series_key(labels: dict[str, str]) -> SeriesKey:
    """Return a scraped series' key as metrics.prom spells it (without the target's labels)."""
    own = {name: value for name, value in labels.items() if name not in TARGET_LABELS}
    return labels["__name__"], frozenset(own.items())


def _write_prometheus_config(folder: Path, mmbot_port: int, alertmanager_port: int) -> Path:
    test_rules = folder / "e2e.rules.yml"
    alert = {"alert": TEST_ALERT, "expr": "quotes_placed_total > 0", "for": "0s"}
    test_rules.write_text(yaml.safe_dump({"groups": [{"name": "e2e", "rules": [alert]}]}))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES), str(test_rules)],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        },
        "scrape_configs": [
            {"job_name": "mmbot", "static_configs": [{"targets": [f"127.0.0.1:{mmbot_port}"]}]}
        ],
    }
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


class Stack:
    """The processes this module started, each in its own session, output in logs/<name>.log."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self._processes: dict[str, subprocess.Popen[str]] = {}

    def start(self, name: str, *argv: str) -> subprocess.Popen[str]:
        with (self.logs / f"{name}.log").open("w") as log:
            process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                env=clean_env(), cwd=REPO_ROOT,
            )  # fmt: skip
        self._processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def poll(self, what: str, attempt: Callable[[], T | None], timeout_s: float) -> T:
        """Return attempt()'s first answer other than None; fail, showing every log, once a
        process has died or after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while (answer := attempt()) is None:
            dead = [name for name, process in self._processes.items() if process.poll() is not None]
            if dead or time.monotonic() > deadline:
                tails = {name: self.log(name)[-2000:] for name in self._processes}
                pytest.fail(f"{what}: not within {timeout_s} s (exited: {dead}); logs: {tails}")
            time.sleep(0.25)
        return answer

    def stop_all(self) -> None:
        for process in reversed(self._processes.values()):
            _stop(process)


@dataclass(frozen=True, slots=True)
class Ports:
    """The 127.0.0.1 ports of the run's exporter, Prometheus and Alertmanager."""

    mmbot: int = field(default_factory=_free_port)
    prometheus: int = field(default_factory=_free_port)
    alertmanager: int = field(default_factory=_free_port)

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Yield a Stack; end every process it started, and its group, at teardown."""
    started = Stack(tmp_path_factory.mktemp("logs"))
    try:
        yield started
    finally:
        started.stop_all()


def _start(stack: Stack, ports: Ports, work: Path, data: Path) -> subprocess.Popen[str]:
    """Start Alertmanager, Prometheus and the run (writing into work/run); return the run."""
    stack.start(
        "alertmanager", "prometheus-alertmanager",
        f"--config.file={MONITORING / 'alertmanager.yml'}", f"--storage.path={work / 'am'}",
        f"--web.listen-address=127.0.0.1:{ports.alertmanager}", "--cluster.listen-address=",
    )  # fmt: skip
    stack.start(
        "prometheus", "prometheus",
        f"--config.file={_write_prometheus_config(work, ports.mmbot, ports.alertmanager)}",
        f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{ports.prometheus}",
    )  # fmt: skip
    return stack.start(
        "mmbot", sys.executable, "-m", "mmbot", "run", "--mode", "live-sim",
        "--config", str(FIXTURE_CONFIG), "--data", str(data), "--out", str(work / "run"),
        "--speed", SPEED, "--duration-s", MAX_RUN_S, "--metrics-port", str(ports.mmbot),
    )  # fmt: skip


def _wait_for_scrapes_and_test_alert(stack: Stack, ports: Ports) -> list[dict[str, Any]]:
    """Wait for the exporter's URL, a few scrapes with a quote placed, and the test alert in
    Alertmanager; return Alertmanager's alerts then."""

    def announced() -> str | None:
        lines = stack.log("mmbot").splitlines()
        return next((line for line in lines if line.startswith("METRICS url=")), None)

    def rows_of(expr: str) -> Callable[[], list[dict[str, Any]] | None]:
        return lambda: _query(ports.prometheus_url, expr) or None

    def alerts_with_the_test_alert() -> list[dict[str, Any]] | None:
        alerts = _alertmanager_alerts(ports.alertmanager_url)
        held = any(alert["labels"]["alertname"] == TEST_ALERT for alert in alerts)
        return alerts if held else None

    url = stack.poll("METRICS line", announced, POLL_TIMEOUT_S)
    assert url == f"METRICS url=http://127.0.0.1:{ports.mmbot}/metrics"
    stack.poll("first scrape", rows_of('up{job="mmbot"} == 1'), FIRST_SCRAPE_TIMEOUT_S)
    # increase() and the recording rule need more than one scrape.
    several = f'sum_over_time(up{{job="mmbot"}}[5m]) >= {SCRAPES_BEFORE_CHECKS}'
    stack.poll(f"{SCRAPES_BEFORE_CHECKS} scrapes", rows_of(several), POLL_TIMEOUT_S)
    stack.poll("a quote placed", rows_of("sum(quotes_placed_total) > 0"), POLL_TIMEOUT_S)
    return stack.poll(f"{TEST_ALERT} in Alertmanager", alerts_with_the_test_alert, POLL_TIMEOUT_S)


def _scraped_samples(
    prometheus_url: str,
) -> tuple[dict[SeriesKey, list[tuple[float, float]]], list[float]]:
    """Return every (timestamp, value) Prometheus holds of each of the run's series, and the
    timestamps of the scrapes that succeeded (`up` 1)."""
    samples = {
        _series_key(row["metric"]): [(float(t), float(v)) for t, v in row["values"]]
        for row in _query(prometheus_url, RUN_SAMPLES)
    }
    up = samples.pop(("up", frozenset()))
    return samples, [t for t, value in up if value == 1.0]


@pytest.fixture(scope="module")
def observed(
    stack: Stack, fixture_alt_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Observed:
    work, ports = tmp_path_factory.mktemp("stack"), Ports()
    run = _start(stack, ports, work, fixture_alt_data)
    alerts = _wait_for_scrapes_and_test_alert(stack, ports)
    url = ports.prometheus_url
    answers = {expr: _query(url, expr) for expr in (*CHECKLIST_QUERIES, FIRING)}
    samples, scrape_times = _scraped_samples(url)
    assert run.poll() is None, "the run ended before the checks: lower SPEED"
    run.send_signal(signal.SIGTERM)
    run.wait(timeout=30)
    final = _final_values((work / "run" / "metrics.prom").read_text())
    report = json.loads((work / "run" / "live_sim.json").read_text())
    return Observed(
        answers, samples, scrape_times, alerts, run.returncode, stack.log("mmbot"), report, final
    )


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(FIXTURE_CONFIG, {}).config


def _only_value(observed: Observed, expr: str) -> float:
    rows = observed.answers[expr]
    assert len(rows) == 1, f"{expr!r} returned {rows}"
    return float(rows[0]["value"][1])


def _final(observed: Observed, name: str) -> float:
    """Return the run's final value of the one series called name."""
    values = [value for (series, _), value in observed.final.items() if series == name]
    assert len(values) == 1, f"{name}: {len(values)} series in metrics.prom"
    return values[0]


def test_run_ended_by_sigterm_and_reported(observed: Observed) -> None:
    assert observed.run_returncode == 0, observed.run_output
    assert "stop=signal:SIGTERM " in observed.run_output
    assert observed.report["live"]["stop_reason"] == "signal:SIGTERM"


def test_every_checklist_query_answers_while_the_run_goes_on(observed: Observed) -> None:
    empty = [expr for expr in CHECKLIST_QUERIES if not observed.answers[expr]]
    assert empty == []


def test_scraped_quotes_are_placed_and_at_most_what_the_run_journaled(observed: Observed) -> None:
    scraped = _only_value(observed, "sum(quotes_placed_total) > 0")
    placed = observed.report["live"]["journal"]["place"]
    assert _final(observed, "quotes_placed_total") == placed
    assert 0 < scraped <= placed


def test_gate_caps_and_breaches_read_healthy_as_in_the_final_values(observed: Observed) -> None:
    assert _only_value(observed, "canary_gate_open == 1") == 1.0  # live-sim: no gate file
    assert _only_value(observed, "intraday_caps_breached == 0") == 0.0
    assert _only_value(observed, "increase(pos_skew_breach_total[10m]) == 0") == 0.0
    assert _final(observed, "intraday_caps_breached") == 0.0
    assert _final(observed, "pos_skew_breach_total") == 0.0


def test_fee_values_are_the_top_tier_makers(observed: Observed, config: MmConfig) -> None:
    # The fixture trades in the top tier (maker -0.5 bps) and only as a maker (taker share 0).
    assert observed.report["figures"]["taker_share_pct"] == 0.0
    fee_bps = _only_value(observed, "effective_fee_bps_now")
    assert fee_bps == pytest.approx(starting_maker_bps(config), abs=1e-9)
    assert _only_value(observed, "fee_tier_distance_usd") == 0.0  # no tier above the top


def test_no_order_rested_over_5s(observed: Observed) -> None:
    assert _only_value(observed, "sum(order_age_ms_bucket_total)") == 0.0
    stuck_at_end = _final(observed, "order_age_ms_count") - next(
        value for (name, labels), value in observed.final.items()
        if name == "order_age_ms_bucket" and ("le", "5000.0") in labels
    )  # fmt: skip
    assert stuck_at_end == 0.0


def test_fill_rate_is_a_ratio_that_is_not_pinned_at_1(observed: Observed) -> None:
    # Issue 14: the old definition sat at ~0.99999; filled over quoted lots falls below 1.
    assert 0.0 < _only_value(observed, "cost_fillrate_ewma") < 0.9


def test_latency_p95_is_the_configured_round_trip(observed: Observed, config: MmConfig) -> None:
    latency = config.sim.latency
    assert _only_value(observed, "latency_ms_p95_blue") == latency.entry_ms + latency.response_ms


def test_budget_and_high_water_mark_follow_the_allocator(
    observed: Observed, config: MmConfig
) -> None:
    budget_usd = config.alloc.budget_usd
    assert 0.0 < _only_value(observed, "portfolio_budget_available_usd") <= budget_usd
    hwm_usd = _only_value(observed, "allocator_hwm_equity_usd")
    assert budget_usd <= hwm_usd <= _final(observed, "allocator_hwm_equity_usd")  # a maximum


def test_scraped_series_are_the_runs_final_series(observed: Observed) -> None:
    assert {name for name, _ in observed.samples} == SERIES_NAMES
    assert set(observed.samples) == set(observed.final)


def test_every_series_is_in_every_scrape_from_the_first(observed: Observed) -> None:
    assert len(observed.scrape_times) >= 3
    missed = {
        key: sorted(set(observed.scrape_times) - {t for t, _ in series})
        for key, series in observed.samples.items()
        if [t for t, _ in series] != observed.scrape_times
    }
    assert missed == {}


def _counter_samples(observed: Observed, names: set[str]) -> dict[SeriesKey, list[float]]:
    return {
        key: [value for _, value in series]
        for key, series in observed.samples.items()
        if key[0] in names
    }


def test_counters_only_rise_and_stay_at_most_their_final_value(observed: Observed) -> None:
    counters = _counter_samples(observed, COUNTER_NAMES)
    assert len(counters) > 20
    for key, values in counters.items():
        assert values == sorted(values), key
        assert values[-1] <= observed.final[key], key


def test_test_alert_reaches_alertmanager_and_shipped_rules_stay_quiet(
    observed: Observed,
) -> None:
    held = [alert["labels"] for alert in observed.alertmanager_alerts]
    assert {labels["alertname"] for labels in held} == {TEST_ALERT}
    assert held[0]["job"] == "mmbot" and held[0]["symbol"] == "ALT-USD"
    firing = {row["metric"]["alertname"] for row in observed.answers[FIRING]}
    assert firing == {TEST_ALERT}
