"""A live system serves its metrics while it runs: zeros before the first decision, the run's
end after the last; canary_gate_open says whether orders may go out in the mode."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mmbot.config import MmConfig, load_config
from mmbot.data import EventBatch, preset, synthesize
from mmbot.engine.journal import JOURNAL_FILE, Journal
from mmbot.engine.live import Pacing
from mmbot.node import build_live_sim, build_shadow_replay
from mmbot.node.metrics_serving import book_extras, serving_metrics, write_metrics
from mmbot.node.systems import System

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
PACING = Pacing(speed=None, window_ns=None)


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(CONFIG, {}).config


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(synthesize(7, 60_000, meta, params))


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _system(config: MmConfig, events: EventBatch, tmp_path: Path, shadow: bool) -> System:
    journal = Journal(tmp_path / JOURNAL_FILE)
    if shadow:
        return build_shadow_replay(config, events, PACING, journal)
    return build_live_sim(config, events, PACING, journal)


def test_live_sim_serves_zeros_at_start_and_the_runs_end_after_it(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    system = _system(config, events, tmp_path, shadow=False)
    leg = (("strategy", "fixed_spread"), ("symbol", "ALT-USD"))
    with serving_metrics(system, 0, "green") as url:
        assert url is not None
        start = _scrape(url)
        assert start[("quotes_placed_total", leg)] == 0.0  # counters exist from the start
        assert start[("canary_gate_open", ())] == 1.0
        outcome = system.run()
        end_of_run = system.engine.values()
    # after the run: its final values in metrics.prom
    assert outcome.decisions > 0 and end_of_run["quotes_placed_total"] > 0
    written = write_metrics(system, tmp_path, "green").read_text()
    assert 'quotes_placed_total{strategy="fixed_spread",symbol="ALT-USD"} ' in written
    assert "latency_ms_p95_green" in written and "latency_ms_p95_blue" not in written


def test_shadow_never_opens_the_gate_and_no_port_serves_nothing(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    system = _system(config, events, tmp_path, shadow=True)
    assert book_extras(system, "blue").canary_gate_open == 0
    with serving_metrics(system, None, "blue") as url:
        assert url is None
