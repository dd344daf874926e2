"""Region figures read from real live-sim and shadow run folders (the region fixture), the
comparison built from them, and every malformed runs folder refused in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from tests.unit.regions.region_runs import (
    REGION_RUNS,
    REGIONS_CONFIG,
    WINNER,
    copy_runs,
    make_region_runs,
)

from mmbot.core.errors import DataError
from mmbot.node import LIVE_SIM_JSON, SHADOW_JSON
from mmbot.regions import (
    COMPARE_JSON,
    COMPARE_MD,
    LIVE_SIM_REPORT,
    SHADOW_REPORT,
    build_compare,
    read_region_runs,
    write_compare,
)

GENERATED_NS = 1_767_596_400 * 1_000_000_000  # 2026-01-05T07:00:00Z
NAMES = tuple(REGION_RUNS)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_region_runs(tmp_path_factory.mktemp("region_fixture"))


def test_report_names_are_the_ones_live_runs_write() -> None:
    assert (LIVE_SIM_REPORT, SHADOW_REPORT) == (LIVE_SIM_JSON, SHADOW_JSON)


def test_read_region_runs_live_sim_figures_are_the_reports(runs: Path) -> None:
    run = read_region_runs(runs, NAMES)["ap-northeast-1"]
    report = json.loads((runs / "ap-northeast-1" / "live_sim.json").read_bytes())["figures"]
    figures = run.figures.payload()
    assert run.mode == "live-sim"
    for name in ("net_bps", "taker_share_pct", "order_age_p95_ms", "fill_rate"):
        assert figures[name] == report[name]
    assert figures["latency_p95_ms"] == 4.0  # entry 2 ms + response 2 ms
    assert run.inputs == {
        f"ap-northeast-1/{name}": hashlib.sha256((runs / "ap-northeast-1" / name).read_bytes())
        .hexdigest() for name in ("live_sim.json", "metrics.prom")
    }  # fmt: skip


def test_read_region_runs_shadow_figures_from_paper_ledger(runs: Path) -> None:
    run = read_region_runs(runs, NAMES)["sa-east-1"]
    report = json.loads((runs / "sa-east-1" / "shadow.json").read_bytes())
    ledger = report["ledger"]
    assert run.mode == "shadow" and ledger["fills"] > 0
    assert run.figures.payload() == {
        "net_bps": 1e4 * ledger["pnl_usd"] / ledger["notional_usd"],
        "taker_share_pct": 0.0,
        "order_age_p95_ms": report["values"]["order_age_ms_p95"],
        "latency_p95_ms": 50.0,  # green: acknowledged one 50 ms decision later
        "fill_rate": ledger["fills"] / report["shadow_orders_total"]["place"],
    }


def test_build_compare_on_fixture_winner_and_eligibility(runs: Path) -> None:
    document = json.loads(build_compare(runs, REGIONS_CONFIG, GENERATED_NS).json_bytes)
    regions = {region["name"]: region for region in document["regions"]}
    assert document["winner"] == WINNER
    best = max(regions.values(), key=lambda region: region["figures"]["net_bps"])
    assert best["name"] == "us-east-1" and not best["enabled"] and not best["eligible"]
    assert [item.split("=")[0] for item in regions["eu-central-1"]["failing"]] == [
        "order_age_p95_ms", "latency_p95_ms"
    ]  # fmt: skip
    assert regions["sa-east-1"]["mode"] == "shadow"
    assert regions["sa-east-1"]["failing"][0].startswith("net_bps=-")
    assert sorted(document["inputs"]["files"]) == sorted(
        f"{name}/{report}" for name, (mode, _, _) in REGION_RUNS.items()
        for report in ("metrics.prom", "shadow.json" if mode == "shadow" else "live_sim.json")
    )  # fmt: skip


def test_write_compare_twice_identical_bytes(runs: Path, tmp_path: Path) -> None:
    for out in ("one", "two"):
        write_compare(tmp_path / out, build_compare(runs, REGIONS_CONFIG, GENERATED_NS))
    for name in (COMPARE_JSON, COMPARE_MD):
        first, second = (tmp_path / out / name for out in ("one", "two"))
        assert first.read_bytes() == second.read_bytes()
        assert first.read_bytes().endswith(b"\n") and first.read_bytes().isascii()
    assert json.loads((tmp_path / "one" / COMPARE_JSON).read_bytes())["winner"] == WINNER


def _refused(runs: Path) -> str:
    with pytest.raises(DataError) as info:
        read_region_runs(runs, NAMES)
    assert info.value.exit_code == 2
    line = info.value.line()
    assert "\n" not in line and line.isascii()
    return line


def test_read_region_runs_missing_region_folder(runs: Path, tmp_path: Path) -> None:
    copy_runs(runs, tmp_path, {name: name for name in NAMES if name != "eu-central-1"})
    line = _refused(tmp_path)
    assert line.startswith(f"E_REGION_RUN_MISSING: region=eu-central-1 folder={tmp_path}")


def test_read_region_runs_folder_of_no_region(runs: Path, tmp_path: Path) -> None:
    copy_runs(runs, tmp_path, {**{name: name for name in NAMES}, "eu-centrall-1": "eu-central-1"})
    assert _refused(tmp_path).startswith(
        f"E_REGION_RUN_UNKNOWN: folder={tmp_path / 'eu-centrall-1'} expected=a folder named"
    )


def test_read_region_runs_runs_folder_missing(tmp_path: Path) -> None:
    line = _refused(tmp_path / "nope")
    assert line.startswith(f"E_REGION_RUN_MISSING: key=--runs value={tmp_path / 'nope'} ")


@pytest.mark.parametrize(
    ("region", "file", "content", "expected"),
    [
        ("ap-southeast-1", "live_sim.json", None, "holds neither of live_sim.json,shadow.json"),
        ("ap-southeast-1", "shadow.json", b"{}", "holds both of live_sim.json,shadow.json"),
        ("ap-southeast-1", "metrics.prom", None, "E_REGION_RUN_MISSING: region=ap-southeast-1 "),
        ("ap-southeast-1", "metrics.prom", b"# nothing\n",
         "E_REGION_RUN_BAD: key=latency_ms_p95_blue|latency_ms_p95_green value='none'"),
        ("ap-southeast-1", "metrics.prom", b"latency_ms_p95_blue 1\nlatency_ms_p95_green 2\n",
         "value='latency_ms_p95_blue,latency_ms_p95_green' expected=exactly one"),
        ("ap-southeast-1", "metrics.prom", b"latency_ms_p95_blue{ 1\n",
         "E_REGION_RUN_BAD: key=<document> value='not Prometheus text'"),
        ("ap-southeast-1", "live_sim.json", b'{"figures": {"net_bps": 1.0}}',
         "E_REGION_RUN_BAD: key=figures.taker_share_pct value=None expected=a finite number"),
        ("ap-southeast-1", "live_sim.json", b'{"figures": {"net_bps": "3"}}',
         "key=figures.net_bps value='3' expected=a finite number"),
        ("ap-southeast-1", "live_sim.json", b"[]",
         "E_REGION_RUN_BAD: key=<document> value='list' expected=a JSON object"),
        ("sa-east-1", "shadow.json", b'{"ledger": {"pnl_usd": 1.0}}',
         "E_REGION_RUN_BAD: key=ledger.notional_usd value=None"),
    ],
)  # fmt: skip
def test_read_region_runs_bad_run_folder_one_line(
    runs: Path, tmp_path: Path, region: str, file: str, content: bytes | None, expected: str
) -> None:
    copy_runs(runs, tmp_path)
    target = tmp_path / region / file
    if content is None:
        target.unlink()
    else:
        target.write_bytes(content)
    assert expected in _refused(tmp_path)
