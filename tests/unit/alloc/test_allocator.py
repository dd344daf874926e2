"""The allocator: HWM, drawdown scaling, demand split, smoothing; econ_moderate smooths more."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from mmbot.alloc import Allocator, AllocParams
from mmbot.config import load_config

KEYS = ("as-BTC", "glft-BTC", "glft-ETH")
S = 1_000_000_000
SEED = 20240611


def _params(
    budget_usd: float = 1_000.0,
    drawdown_scale: float = 1.0,
    smoothing: float = 0.0,
    max_step_usd: float = 1_000.0,
) -> AllocParams:
    return AllocParams(budget_usd, drawdown_scale, smoothing, max_step_usd)


def _fixture_path() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return (equity_usd[steps], demand_usd[steps, 3]): drawdowns and shifting demand."""
    rng = np.random.default_rng(SEED)
    steps = 3_000
    shocks = rng.normal(0.0, 0.002, steps)
    shocks[800:950] -= 0.0015  # a slow drawdown
    shocks[2000] -= 0.05  # a gap down
    equity_usd = 100_000.0 * np.exp(np.cumsum(shocks))
    levels = np.empty((steps, len(KEYS)))
    level = rng.uniform(5_000.0, 60_000.0, len(KEYS))
    for step in range(steps):
        shifting = rng.random(len(KEYS)) < 0.03
        level = np.where(shifting, rng.uniform(5_000.0, 60_000.0, len(KEYS)), level)
        levels[step] = level
    demand_usd = levels * (1.0 + 0.1 * rng.standard_normal((steps, len(KEYS))))
    return equity_usd, demand_usd


def _delta_stats(params: AllocParams) -> tuple[float, float]:
    """Return (mean, p95) of |allocation delta| per step and key on the fixture."""
    equity_usd, demand_usd = _fixture_path()
    allocator = Allocator(params, KEYS)
    previous: NDArray[np.float64] = np.zeros(len(KEYS))
    deltas = []
    for step, equity in enumerate(equity_usd):
        demand = dict(zip(KEYS, demand_usd[step].tolist(), strict=True))
        allocation = allocator.update(step * S, float(equity), demand)
        budgets = np.array([allocation.budget_usd[key] for key in KEYS])
        if step > 0:  # the ramp-in from zero is the same for every config
            deltas.append(np.abs(budgets - previous))
        previous = budgets
    flat = np.concatenate(deltas)
    return float(flat.mean()), float(np.percentile(flat, 95))


@pytest.mark.selected
def test_allocator_econ_moderate_profile_smooths_deltas(repo_root: Path) -> None:
    example = repo_root / "configs" / "example.yaml"
    base = AllocParams.from_config(load_config(example, {}).config)
    moderate_cfg = load_config(example, {"MM_PROFILE": "econ_moderate"}).config
    moderate = AllocParams.from_config(moderate_cfg)
    base_mean, base_p95 = _delta_stats(base)
    moderate_mean, moderate_p95 = _delta_stats(moderate)
    ratio = moderate_mean / base_mean
    print(
        f"ALLOC_SMOOTHING base mean_abs_delta_usd={base_mean:.6f} p95_abs_delta_usd={base_p95:.6f}"
        f" | econ_moderate mean_abs_delta_usd={moderate_mean:.6f}"
        f" p95_abs_delta_usd={moderate_p95:.6f} | mean_ratio={ratio:.6f}"
    )
    assert ratio < 1.0
    assert moderate_p95 <= base_p95


def test_allocator_params_from_config_step_in_usd(repo_root: Path) -> None:
    example = repo_root / "configs" / "example.yaml"
    cfg = load_config(example, {"MM_PROFILE": "econ_moderate"}).config
    params = AllocParams.from_config(cfg)
    assert params == AllocParams(100_000.0, 2.0, 0.8, 10_000.0)


def test_allocator_hwm_and_drawdown_scale_available() -> None:
    allocator = Allocator(_params(drawdown_scale=2.0), KEYS)
    demand = {"as-BTC": 100.0}
    first = allocator.update(0, 10_000.0, demand)
    assert (first.hwm_equity_usd, first.drawdown_pct, first.budget_available_usd) == (
        10_000.0,
        0.0,
        1_000.0,
    )
    higher = allocator.update(S, 12_000.0, demand)
    assert higher.hwm_equity_usd == 12_000.0
    down = allocator.update(2 * S, 10_800.0, demand)  # 10% below the HWM, scaled by 2
    assert down.hwm_equity_usd == 12_000.0
    assert down.drawdown_pct == pytest.approx(10.0, abs=1e-12)
    assert down.budget_available_usd == pytest.approx(800.0, abs=1e-9)
    deep = allocator.update(3 * S, 5_000.0, demand)
    assert deep.budget_available_usd == 0.0
    assert deep.budget_usd == {"as-BTC": 0.0, "glft-BTC": 0.0, "glft-ETH": 0.0}
    assert allocator.values() == {
        "allocator_hwm_equity_usd": 12_000.0,
        "portfolio_budget_available_usd": 0.0,
    }


def test_allocator_split_proportional_to_demand_capped_by_demand() -> None:
    allocator = Allocator(_params(), KEYS)
    over = allocator.update(0, 1.0, {"as-BTC": 1_500.0, "glft-BTC": 500.0})
    assert dict(over.budget_usd) == {"as-BTC": 750.0, "glft-BTC": 250.0, "glft-ETH": 0.0}
    under = allocator.update(S, 1.0, {"as-BTC": 100.0, "glft-ETH": 300.0})
    assert dict(under.budget_usd) == {"as-BTC": 100.0, "glft-BTC": 0.0, "glft-ETH": 300.0}


def test_allocator_smoothing_and_max_step_clip() -> None:
    allocator = Allocator(_params(smoothing=0.5, max_step_usd=300.0), KEYS)
    steps = [
        allocator.update(i * S, 1.0, {"as-BTC": 800.0, "glft-BTC": 200.0}).budget_usd
        for i in range(3)
    ]
    # as-BTC: 0 -> +min(400, 300) -> 300 + min(250, 300) -> 550 + 125; glft-BTC: 100, 150, 175.
    assert [(b["as-BTC"], b["glft-BTC"]) for b in steps] == [
        (300.0, 100.0),
        (550.0, 150.0),
        (675.0, 175.0),
    ]


def test_allocator_drawdown_cut_not_slowed_by_smoothing() -> None:
    allocator = Allocator(_params(smoothing=0.9, max_step_usd=1_000.0), KEYS)
    for i in range(200):
        allocator.update(i * S, 1_000.0, {"as-BTC": 600.0, "glft-BTC": 600.0})
    cut = allocator.update(200 * S, 700.0, {"as-BTC": 600.0, "glft-BTC": 600.0})
    assert cut.budget_available_usd == pytest.approx(700.0, abs=1e-9)
    assert sum(cut.budget_usd.values()) == pytest.approx(700.0, abs=1e-9)
    assert cut.budget_usd["as-BTC"] == pytest.approx(cut.budget_usd["glft-BTC"], abs=1e-9)


def test_allocator_unknown_key_or_bad_equity_raises() -> None:
    allocator = Allocator(_params(), KEYS)
    with pytest.raises(ValueError, match="unknown keys"):
        allocator.update(0, 1.0, {"nope": 1.0})
    with pytest.raises(ValueError, match="equity_usd=nan"):
        allocator.update(0, float("nan"), {})
    with pytest.raises(ValueError, match="unique"):
        Allocator(_params(), ["a", "a"])


def test_allocator_same_input_same_output() -> None:
    def run() -> list[tuple[float, ...]]:
        equity_usd, demand_usd = _fixture_path()
        allocator = Allocator(_params(smoothing=0.7, max_step_usd=50.0), KEYS)
        return [
            tuple(
                allocator.update(
                    i * S, float(e), dict(zip(KEYS, d.tolist(), strict=True))
                ).budget_usd.values()
            )
            for i, (e, d) in enumerate(zip(equity_usd, demand_usd, strict=True))
        ]

    assert repr(run()).encode() == repr(run()).encode()
