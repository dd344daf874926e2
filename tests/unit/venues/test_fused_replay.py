"""The fused replay leaves the engine exactly as the engine's own loop does (issue 20).

Each case runs one config over one market twice - node.build_engine with the fused replay
and without it - and compares the whole-run fingerprints (fused_kit): every record, order,
fill, risk record and counter, the strategy's state, the allocator, the port and the clock.
The table covers the benchmark's rebate tier, every model, signals off, traces and quotes
kept, risk limits that trip (throttles, reduce-only, breaches, day caps), the replace policy
and the venue minimums, the probabilistic queue with recorded latencies and a slower decision
interval, a UTC day boundary and a streamed replay in small chunks.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from tests.unit.venues.fused_kit import differing_parts, fingerprint

from mmbot.backtest.run import backtest_into
from mmbot.config import MmConfig, load_config
from mmbot.data import EventBatch, SynthParams, load_events, synthesize, write_events
from mmbot.data.synth_params import SYNTH_META
from mmbot.engine.loop import Engine
from mmbot.node import build_engine
from mmbot.sim import EventStream
from mmbot.strategy.quoting import quote_numbers
from mmbot.strategy.stack import decide_with
from mmbot.venues.fused.replay import served

N_EVENTS = 60_000
REBATE = {"fees": {"volume_30d_usd": 60_000_000.0}}
TIGHT_RISK = {
    "max_position_usd": 300.0, "max_skew_usd": 200.0, "intraday_max_loss_usd": 20.0,
    "orders_per_s": 2, "cancels_per_s": 2, "orders_burst": 4, "cancels_burst": 4,
}  # fmt: skip


def _config(*overlays: dict[str, Any]) -> MmConfig:
    merged: dict[str, Any] = {}
    for overlay in overlays:
        _merge(merged, overlay)
    return MmConfig.model_validate(merged)


def _merge(into: dict[str, Any], overlay: dict[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        else:
            into[key] = value


def _market(seed: int, n_events: int = N_EVENTS, start_ts_ns: int | None = None) -> EventBatch:
    params = SynthParams() if start_ts_ns is None else SynthParams(start_ts_ns=start_ts_ns)
    return EventBatch.concat(synthesize(seed, n_events, params=params))


CASES = {
    "rebate_glft": (_config(REBATE), {}),
    "base_fee": (_config(), {}),
    "avellaneda_stoikov": (_config(REBATE, {"strategy": {"model": "avellaneda_stoikov"}}), {}),
    "fixed_spread": (_config(REBATE, {"strategy": {"model": "fixed_spread"}}), {}),
    "signals_off": (_config(REBATE), {"signals_enabled": False}),
    "traces_and_quotes": (_config(REBATE), {"keep_traces": True, "keep_quotes": True}),
    "tight_risk": (_config(REBATE, {"risk": TIGHT_RISK}), {"keep_traces": True}),
    "tiny_day_caps": (
        _config(REBATE, {"risk": {"intraday_max_notional_usd": 2_000.0,
                                  "intraday_max_orders": 40}}), {}),
    "replace_policy_and_minimums": (
        _config(REBATE, {"risk": {"min_order_age_ms": 250, "min_replace_ticks": 2},
                         "instrument": {"min_qty_lots": 2, "min_notional_usd": 60.0},
                         "strategy": {"order_qty_lots": 3, "max_size_delta_lots": 1}}), {}),
    "prob_queue_recorded_latency": (
        _config(REBATE, {"sim": {"queue_model": "prob", "latency": {"model": "recorded"}},
                         "strategy": {"decision_interval_ms": 250}}), {}),
}  # fmt: skip


def _pair(cfg: MmConfig, events: Any, make_events: Any = None, **options: Any) -> list[Engine]:
    engines = []
    for fused in (False, True):
        source = make_events() if make_events is not None else events
        engine = build_engine(cfg, source, "fz", fused=fused, **options)
        engine.run()
        engines.append(engine)
    return engines


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [3, 11])
def test_a_fused_run_leaves_the_engine_as_its_own_loop_does(name: str, seed: int) -> None:
    cfg, options = CASES[name]
    reference, fused = _pair(cfg, _market(seed), **options)
    assert reference.record.decisions > 100
    assert differing_parts(fingerprint(reference), fingerprint(fused)) == []


def test_the_cases_exercise_fills_denials_and_risk_records() -> None:
    """The table is only worth something if its runs fill, get denied and trip the gate."""
    fills = denials = records = 0
    for name in ("rebate_glft", "tight_risk", "tiny_day_caps"):
        cfg, options = CASES[name]
        (engine,) = _pair(cfg, _market(3), **options)[1:]
        fills += engine.ledger.fills
        denials += sum(engine.record.denials.values())
        records += len(engine.record.risk_records)
    assert fills > 50 and denials > 10 and records > 3


def test_a_run_across_a_utc_midnight_rolls_the_day_the_same_way() -> None:
    midnight = 1_704_153_600_000_000_000  # 2024-01-02T00:00:00Z
    events = _market(5, 80_000, start_ts_ns=midnight - 20_000_000_000)
    cfg = _config(REBATE, {"risk": {"intraday_max_orders": 60}})
    reference, fused = _pair(cfg, events)
    assert reference.books[0].day.day == midnight // 86_400_000_000_000
    assert differing_parts(fingerprint(reference), fingerprint(fused)) == []


def test_a_streamed_run_in_small_chunks_equals_the_engines_own() -> None:
    events = _market(7, 40_000)
    chunks = [events.slice(i, min(i + 997, len(events))) for i in range(0, len(events), 997)]
    cfg = _config(REBATE)
    reference, fused = _pair(cfg, None, lambda: EventStream(iter(chunks)))
    assert differing_parts(fingerprint(reference), fingerprint(fused)) == []


def test_the_run_directory_is_byte_identical(tmp_path: Path) -> None:
    data_file = write_events(tmp_path / "events.parquet", synthesize(3, N_EVENTS), SYNTH_META)
    config_file = tmp_path / "tight.yaml"
    config_file.write_text(
        "fees:\n  volume_30d_usd: 60000000.0\nrisk:\n"
        + "".join(f"  {key}: {value}\n" for key, value in TIGHT_RISK.items())
    )
    effective = load_config(config_file, {})
    folders = []
    for fused in (False, True):
        folder = tmp_path / f"fused_{fused}"
        folder.mkdir()
        make = partial(build_engine, fused=fused)
        backtest_into(effective, data_file, folder, make_engine=make, events=load_events(data_file))
        folders.append({p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()})
    assert folders[0] == folders[1]
    assert {"fills.csv", "orders.csv", "risk_records.csv", "metrics.prom"} <= set(folders[0])


def _tripped(engine: Engine) -> None:
    engine.risk.trip_kill_switch("test")


def _book_limited(engine: Engine) -> None:
    engine.risk.set_book_limits(5, 5)


def _own_strategy(engine: Engine) -> None:
    engine.legs[0].decide = decide_with(quote_numbers)  # a Python function of the port


@pytest.mark.parametrize(
    "change", [_tripped, _book_limited, _own_strategy], ids=lambda f: f.__name__
)
def test_what_the_twins_do_not_model_runs_the_engines_own_loop(change: Any) -> None:
    events = _market(3, 20_000)
    engines = []
    for fused in (False, True):
        engine = build_engine(_config(REBATE), events, "fz", fused=fused)
        change(engine)
        engines.append(engine)
    assert not served(engines[1])
    for engine in engines:
        engine.run()
    assert differing_parts(fingerprint(engines[0]), fingerprint(engines[1])) == []


def test_the_fused_replay_serves_a_fresh_one_leg_backtest_only() -> None:
    events = _market(3, 20_000)
    assert served(build_engine(_config(REBATE), events, "fz"))
    assert not served(build_engine(_config(REBATE), events, "fz", execution="naive_repost"))
    ran = build_engine(_config(REBATE), events, "fz")
    ran.run()
    assert not served(ran)  # a second run would start from the first one's state
