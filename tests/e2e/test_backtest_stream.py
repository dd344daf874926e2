"""A streamed backtest writes the in-memory backtest's run directory, byte for byte, whatever
the chunk size, and a data set of daily files replays as the one file they were cut from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e._cli import REPO_ROOT

from mmbot.backtest.run import STREAM_CHUNK_ROWS, backtest_into, book_backtest_into
from mmbot.config import EffectiveConfig, load_config
from mmbot.core.errors import DataError
from mmbot.data import EventBatch, MarketSpec, load_events, synthesize, write_events, write_market
from mmbot.data.dataset import DEFAULT_MAX_GAP_NS, resolve_dataset, write_days
from mmbot.data.synth_params import SYNTH_META
from mmbot.engine.rundir_commit import file_sha256
from mmbot.node import build_engine
from mmbot.node.backtests import book_dataset, run_backtest
from mmbot.node.stack import build_book_engine

pytestmark = pytest.mark.selected
SEED, EVENTS = 3, 60_000
S = 1_000_000_000


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "one.parquet"
    # Small row groups: the reader hands over many batches, as a large file would.
    return write_events(path, synthesize(SEED, EVENTS), SYNTH_META, row_group_rows=5_000)


@pytest.fixture(scope="module")
def effective(tmp_path_factory: pytest.TempPathFactory) -> EffectiveConfig:
    path = tmp_path_factory.mktemp("cfg") / "rebate.yaml"
    path.write_text("fees:\n  volume_30d_usd: 60000000.0\n")  # the maker-rebate tier: fills
    return load_config(path, {})


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def in_memory(
    data_file: Path, effective: EffectiveConfig, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("memory")
    loaded = load_events(data_file)
    outcome = backtest_into(effective, data_file, folder, make_engine=build_engine, events=loaded)
    assert int(outcome.report["figures"]["fills"]) > 10  # type: ignore[index]
    return _files(folder)


@pytest.mark.parametrize("chunk_rows", [7, 64, 4_999, 1_000_000])
def test_streamed_run_directory_equals_in_memory(
    data_file: Path,
    effective: EffectiveConfig,
    in_memory: dict[str, bytes],
    tmp_path: Path,
    chunk_rows: int,
) -> None:
    backtest_into(effective, data_file, tmp_path, make_engine=build_engine, chunk_rows=chunk_rows)
    assert _files(tmp_path) == in_memory


def test_daily_files_replay_as_the_file_they_were_cut_from(
    data_file: Path, effective: EffectiveConfig, in_memory: dict[str, bytes], tmp_path: Path
) -> None:
    batch, meta = load_events(data_file)
    days = write_days([batch], meta, tmp_path / "days", days=3, events=len(batch))
    assert [p.relative_to(tmp_path).parts[:2] for p in days] == [("days", meta.symbol)] * 3
    joined = EventBatch.concat(load_events(p)[0] for p in days)
    assert all((a == b).all() for a, b in zip(joined.columns(), batch.columns(), strict=True))
    dataset = resolve_dataset(tmp_path / "days")
    assert [one.path for one in dataset.files[meta.symbol]] == days
    out = tmp_path / "run"
    out.mkdir()
    backtest_into(effective, tmp_path / "days", out, make_engine=build_engine, chunk_rows=997)
    # Only the data's sha256 differs (the set's, not the one file's), and so the manifest's
    # hash of run.json.
    set_sha = _files(out)["run.json"].split(b'"data_sha256":"')[1][:64]
    assert set_sha != file_sha256(data_file).encode()
    same = {
        name: content.replace(set_sha, file_sha256(data_file).encode())
        for name, content in _files(out).items()
        if name != "manifest.json"
    }
    assert same == {name: v for name, v in in_memory.items() if name != "manifest.json"}


def test_a_book_over_daily_files_replays_as_over_one_file_a_symbol(tmp_path: Path) -> None:
    effective = load_config(REPO_ROOT / "configs" / "portfolio_example.yaml", {})
    spec = MarketSpec(7, 40_000, ("BTCUSDT", "ETHUSDT"), 0.7)
    whole = write_market(spec, tmp_path / "whole")
    for path in whole:
        batch, meta = load_events(path)
        write_days([batch], meta, tmp_path / "days", days=3, events=len(batch))
    runs = {}
    for name, dataset, chunk_rows in [
        ("whole", resolve_dataset(whole), STREAM_CHUNK_ROWS),
        ("days", resolve_dataset(tmp_path / "days"), 333),
    ]:
        assert dataset.symbols == ("BTCUSDT", "ETHUSDT")
        out = tmp_path / f"run_{name}"
        out.mkdir()
        book_backtest_into(
            effective, dataset, out, make_engine=build_book_engine, chunk_rows=chunk_rows
        )
        runs[name] = _files(out)
    assert int(json.loads(runs["whole"]["backtest.json"])["figures"]["fills"]) > 10
    differ = {"run.json", "manifest.json", "backtest.json", "BACKTEST.md"}  # the data's sha256
    assert {n: v for n, v in runs["days"].items() if n not in differ} == {
        n: v for n, v in runs["whole"].items() if n not in differ
    }
    reports = [json.loads(runs[name]["backtest.json"]) for name in ("whole", "days")]
    assert reports[0]["figures"] == reports[1]["figures"]


def test_a_books_data_set_must_hold_every_symbol(tmp_path: Path) -> None:
    config = load_config(REPO_ROOT / "configs" / "portfolio_example.yaml", {}).config
    (btc,) = [p for p in write_market(MarketSpec(7, 2_000, ("BTCUSDT", "ETHUSDT"), 0.7), tmp_path)
              if "BTC" in p.name]  # fmt: skip
    batch, meta = load_events(btc)
    write_days([batch], meta, tmp_path / "days", days=2, events=len(batch))
    with pytest.raises(DataError, match=r"^E_DATA_FILE_MISSING: symbol=ETHUSDT data=.*days "):
        book_dataset(config, tmp_path / "days", lenient=False, max_gap_ns=DEFAULT_MAX_GAP_NS)
    found = book_dataset(config, tmp_path, lenient=False, max_gap_ns=DEFAULT_MAX_GAP_NS)
    assert found.symbols == ("BTCUSDT", "ETHUSDT")  # the <symbol>.parquet files, not the days
    assert [len(found.files[s]) for s in found.symbols] == [1, 1]


def test_lenient_backtest_reports_the_gap_it_replays_strict_refuses_it(
    data_file: Path, effective: EffectiveConfig, tmp_path: Path
) -> None:
    batch, meta = load_events(data_file)
    days = write_days([batch], meta, tmp_path / "days", days=3, events=len(batch))
    days[1].unlink()  # a missing middle day: ~40 s of market
    with pytest.raises(DataError, match=r"^E_DATA_GAP: symbol=BTC-USD files=.*--lenient$"):
        run_backtest(effective, tmp_path / "days", tmp_path / "strict", print, max_gap_ns=S)
    said: list[str] = []
    run_backtest(
        effective, tmp_path / "days", tmp_path / "run", said.append, lenient=True, max_gap_ns=S
    )
    assert said[0] == "data_breaks=1"
    assert said[1].startswith(f"E_DATA_GAP: symbol=BTC-USD files={days[0]},{days[2]} ")
    assert (tmp_path / "run" / "backtest.json").is_file()
    assert not (tmp_path / "strict").exists()
