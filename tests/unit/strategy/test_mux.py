"""The multi-strategy mux: regimes, 60 s hysteresis, capped weights summing to 1, a golden.

Golden tests/golden/mux_case1.out: regenerate on purpose only with
`pytest tests/unit/strategy/test_mux.py --update-golden`, check it by eye, commit it alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mmbot.artifacts import fmt6, text_bytes
from mmbot.config import load_config
from mmbot.config.schema import MmConfig
from mmbot.core.errors import ConfigError
from mmbot.strategy.mux import Mux, MuxDecision, MuxParams, capped_weights

GOLDEN = "mux_case1.out"
STRATEGY_IDS = ("avellaneda_stoikov", "fixed_spread", "glft")
S = 1_000_000_000
T0 = 1_700_000_000 * S
SEED = 11
N_STEPS = 600
SPIKE = range(120, 135)  # 15 s: detected volatile for ~40 s, shorter than the hysteresis
BURST = range(180, 300)
TREND = range(420, 600)


def _case1_mids() -> list[float]:
    """Return 1 Hz mids: calm, a 15 s spike, a 120 s volatile burst, calm, a 180 s trend."""
    rng = np.random.default_rng(SEED)
    sigma_bps = np.full(N_STEPS, 0.5)
    sigma_bps[SPIKE.start : SPIKE.stop] = 8.0
    sigma_bps[BURST.start : BURST.stop] = 6.0
    drift_bps = np.zeros(N_STEPS)
    drift_bps[TREND.start : TREND.stop] = 0.6
    returns = (drift_bps + sigma_bps * rng.standard_normal(N_STEPS)) * 1e-4
    returns[0] = 0.0
    mids: list[float] = (60_000.0 * np.exp(np.cumsum(returns))).tolist()
    return mids


def _run_case1() -> list[MuxDecision]:
    mux = Mux(MuxParams.from_config(MmConfig()), STRATEGY_IDS)
    return [mux.update(T0 + i * S, mid) for i, mid in enumerate(_case1_mids())]


def _case1_text(decisions: list[MuxDecision]) -> str:
    header = "# ts_s realized_vol_bps trend_z detected active " + " ".join(
        f"w_{sid}" for sid in STRATEGY_IDS
    )
    lines = [header]
    for d in decisions:
        numbers = [fmt6((d.ts_ns - T0) / S), fmt6(d.realized_vol_bps), fmt6(d.trend_z)]
        weights = [fmt6(w) for w in d.weights]
        lines.append(" ".join([*numbers, d.detected_regime, d.active_regime, *weights]))
    return "\n".join(lines) + "\n"


def test_mux_case1_short_spike_ignored_long_regimes_switch_after_60s() -> None:
    decisions = _run_case1()
    spike_window = decisions[SPIKE.start : BURST.start]
    assert any(d.detected_regime == "volatile" for d in spike_window)
    assert all(d.active_regime == "calm" for d in decisions[: BURST.start])
    switches = []
    run_start = 0
    for i in range(1, len(decisions)):
        if decisions[i].detected_regime != decisions[i - 1].detected_regime:
            run_start = i
        if decisions[i].active_regime != decisions[i - 1].active_regime:
            held_s = (decisions[i].ts_ns - decisions[run_start].ts_ns) / S
            held_before_s = (decisions[i - 1].ts_ns - decisions[run_start].ts_ns) / S
            assert decisions[i].active_regime == decisions[i].detected_regime
            assert held_s >= 60.0 > held_before_s
            switches.append((i, decisions[i].active_regime))
    assert [regime for _, regime in switches] == ["volatile", "calm", "trend"]
    assert BURST.start < switches[0][0] < BURST.stop
    assert TREND.start < switches[2][0] < TREND.stop


def test_mux_case1_weights_sum_to_one_and_caps_hold() -> None:
    caps = MmConfig().mux.caps
    for d in _run_case1():
        assert abs(sum(d.weights) - 1.0) <= 1e-12
        assert all(w <= caps[sid] for w, sid in zip(d.weights, STRATEGY_IDS, strict=True))


def test_mux_case1_same_input_same_bytes_matches_golden(
    golden: Callable[[str, bytes], None],
) -> None:
    first = text_bytes(_case1_text(_run_case1()), where=GOLDEN)
    second = text_bytes(_case1_text(_run_case1()), where=GOLDEN)
    assert first == second
    assert first.count(b"\n") == N_STEPS + 1
    golden(GOLDEN, first)


def test_capped_weights_water_fills_excess_to_uncapped() -> None:
    weights = capped_weights([0.7, 0.2, 0.1], [0.5, 0.5, 1.0])
    assert weights == pytest.approx((0.5, 0.5 * 2 / 3, 0.5 / 3), abs=1e-15)
    assert abs(sum(weights) - 1.0) <= 1e-12


def test_capped_weights_second_round_caps_and_zero_raw_fallback() -> None:
    two_rounds = capped_weights([0.6, 0.3, 0.1], [0.4, 0.4, 0.4])
    assert two_rounds == pytest.approx((0.4, 0.4, 0.2), abs=1e-15)
    # Only a capped strategy wants weight: the rest is spread by caps, not left unassigned.
    fallback = capped_weights([1.0, 0.0, 0.0], [0.6, 0.1, 0.3])
    assert fallback == pytest.approx((0.6, 0.1, 0.3), abs=1e-15)
    assert abs(sum(fallback) - 1.0) <= 1e-12


def test_capped_weights_infeasible_caps_raise() -> None:
    with pytest.raises(ValueError, match="sum\\(caps\\)>=1"):
        capped_weights([0.5, 0.5], [0.4, 0.4])


def test_mux_config_caps_below_one_rejected_as_rule(tmp_path: Path) -> None:
    path = tmp_path / "bad_mux.yaml"
    path.write_text(
        "mux:\n  caps: {avellaneda_stoikov: 0.3, fixed_spread: 0.3, glft: 0.3}\n",
        encoding="ascii",
    )
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, {})
    assert excinfo.value.code == "E_CFG_RULE"
    assert "mux.caps" in excinfo.value.line()


def test_mux_config_weights_must_name_the_capped_strategies(tmp_path: Path) -> None:
    path = tmp_path / "bad_mux.yaml"
    path.write_text("mux:\n  weights:\n    calm: {glft: 1.0}\n", encoding="ascii")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, {})
    assert excinfo.value.code == "E_CFG_RULE"
    assert "mux.weights.calm" in excinfo.value.line()


def test_mux_zero_hysteresis_switches_on_first_detection() -> None:
    cfg = MmConfig.model_validate({"mux": {"hysteresis_s": 0.0, "volatile_min_vol_bps": 1.0}})
    mux = Mux(MuxParams.from_config(cfg), STRATEGY_IDS)
    mux.update(T0, 100.0)
    decision = mux.update(T0 + S, 100.1)  # a 10 bps move in 1 s
    assert (decision.detected_regime, decision.active_regime) == ("volatile", "volatile")
    assert decision.realized_vol_bps == pytest.approx(1e4 * math.log(100.1 / 100.0))


def test_mux_bad_input_raises() -> None:
    params = MuxParams.from_config(MmConfig())
    with pytest.raises(ValueError, match="expected unique ids with caps"):
        Mux(params, ("glft", "unknown"))
    mux = Mux(params, STRATEGY_IDS)
    mux.update(T0, 100.0)
    with pytest.raises(ValueError, match="went back"):
        mux.update(T0 - 1, 100.0)
    with pytest.raises(ValueError, match=r"mid_price=0\.0"):
        mux.update(T0 + S, 0.0)
