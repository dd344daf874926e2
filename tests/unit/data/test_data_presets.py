"""Named synthetic markets (`mmbot data synth --preset NAME`): the table, the CLI, the alt book."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from tests.cli_runner import run_cli

from mmbot.data import SYNTH_META, BookReplay, EventBatch, SynthParams, read_meta, synthesize
from mmbot.data.synth_params import FIXTURE_ALT, FIXTURE_ALT_META, FIXTURE_TIGHT, PRESETS, preset


def test_default_preset_is_the_default_market() -> None:
    assert preset("default") == (SynthParams(), SYNTH_META)
    assert preset("fixture_alt") == (FIXTURE_ALT, FIXTURE_ALT_META)
    assert preset("fixture_tight") == (FIXTURE_TIGHT, FIXTURE_ALT_META)
    assert sorted(PRESETS) == ["default", "fixture_alt", "fixture_tight"]


def test_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="expected one of default, fixture_alt, fixture_tight"):
        preset("nope")


def test_fixture_alt_tick_is_about_one_bp() -> None:
    params, meta = preset("fixture_alt")
    assert meta.tick_size / params.mid_start_usd == pytest.approx(1e-4)


def test_cli_default_preset_writes_the_same_bytes_as_no_preset(tmp_path: Path) -> None:
    plain, named = tmp_path / "plain.parquet", tmp_path / "named.parquet"
    assert run_cli("data", "synth", "--seed", "2", "--events", "3000", "--out", str(plain)) == 0
    args = ["synth", "--seed", "2", "--events", "3000", "--out", str(named)]
    assert run_cli("data", *args, "--preset", "default") == 0
    assert plain.read_bytes() == named.read_bytes()


def test_cli_preset_writes_its_instrument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "alt.parquet"
    args = ["synth", "--seed", "1", "--events", "5000", "--out", str(out)]
    assert run_cli("data", *args, "--preset", "fixture_alt") == 0
    assert read_meta(out) == FIXTURE_ALT_META
    lines = capsys.readouterr().out.splitlines()
    assert "preset=fixture_alt symbol=ALT-USD tick_size=0.01" in lines
    assert lines[-1] == "RESULT=OK"


def test_cli_unknown_preset_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.parquet"
    args = ["synth", "--seed", "1", "--events", "10", "--out", str(out), "--preset", "nope"]
    assert run_cli("data", *args) == 2
    assert "unknown synth preset 'nope'" in capsys.readouterr().err
    assert not out.exists()


@cache
def _market(name: str) -> tuple[EventBatch, npt.NDArray[np.int64]]:
    """Return a preset's events (seed 7) and the spread in ticks after every two-sided row."""
    params, meta = preset(name)
    events = EventBatch.concat(synthesize(7, 200_000, meta, params))
    best_bid, best_ask = BookReplay().tops(events)
    two_sided = (best_bid > 0) & (best_ask > best_bid)
    return events, (best_ask - best_bid)[two_sided]


def _rows_per_s(events: EventBatch) -> float:
    return len(events) / ((events.ts_exch_ns[-1] - events.ts_exch_ns[0]) / 1e9)


def test_fixture_alt_is_a_wide_book_with_a_realistic_feed_density() -> None:
    events, spread = _market("fixture_alt")
    assert 200 <= _rows_per_s(events) <= 600  # hundreds of rows a second
    assert 3 <= float(np.median(spread)) <= 6  # ticks = bps: an alt book, not a 1-tick perp


def test_fixture_tight_is_a_one_tick_book_with_small_levels() -> None:
    events, spread = _market("fixture_tight")
    assert 200 <= _rows_per_s(events) <= 600
    assert float(np.mean(spread == 1)) >= 0.8  # the maker joins queues, it cannot step inside
    params, _ = preset("fixture_tight")
    assert params.level_qty_median_lots <= 10 * params.trade_qty_median_lots
