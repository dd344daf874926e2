"""docs/API.md's example runs as written, writes nothing, and agrees with `mmbot backtest run`;
the API with `out` writes the command's files byte for byte."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from tests.cli_runner import run_cli

from mmbot import api
from mmbot.config import load_config
from mmbot.data import EventBatch, InstrumentMeta, preset, synthesize, write_events
from mmbot.engine.rundir_read import read_run_dir

REPO_ROOT = Path(__file__).resolve().parents[3]
API_MD = REPO_ROOT / "docs" / "API.md"
CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
TABLES = ("fills", "orders", "mids")


@pytest.fixture(autouse=True)
def _no_mm_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with no MM_* settings, as tests/e2e/_cli.py runs the command."""
    for name in ("MM_CONFIG_PATH", "MM_PROFILE", "MM_ENV"):
        monkeypatch.delenv(name, raising=False)


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.DOTALL | re.MULTILINE)


def _cli_run(config: Path, data: Path, out: Path) -> Path:
    code = run_cli("backtest", "run", "-c", str(config), "--data", str(data), "--out", str(out))
    assert code == 0
    return out


def _event_file(path: Path, n_events: int) -> tuple[Path, EventBatch, InstrumentMeta]:
    params, meta = preset("fixture_alt")
    events = EventBatch.concat(synthesize(7, n_events, meta, params))
    return write_events(path, [events], meta), events, meta


def test_api_doc_example_runs_writes_nothing_and_agrees_with_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work, scratch = tmp_path / "work", tmp_path / "scratch"
    work.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the API's scratch goes
    blocks = _python_blocks(API_MD.read_text(encoding="ascii"))
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(API_MD), "exec"), namespace)

    result = namespace["result"]
    assert isinstance(result, api.BacktestResult) and result.out is None
    figures = result.report["figures"]
    assert isinstance(figures, dict)
    assert f"net_bps={figures['net_bps']:.6f} " in capsys.readouterr().out
    assert list(work.iterdir()) == [] and list(scratch.iterdir()) == []  # nothing left behind
    events, meta, config = namespace["events"], namespace["meta"], namespace["config"]
    assert isinstance(events, EventBatch) and isinstance(meta, InstrumentMeta)
    assert isinstance(config, Path)
    data = write_events(tmp_path / "events.parquet", [events], meta)
    run_dir = _cli_run(config, data, tmp_path / "cli")
    cli = read_run_dir(run_dir)
    assert result.fills.height == figures["fills"] > 100
    for name in TABLES:
        assert getattr(result, name).equals(getattr(cli, name)), name
    assert result.report == json.loads((run_dir / "backtest.json").read_text())
    assert result.audit.fills.height == result.fills.height
    assert result.audit.fills["net_usd"].sum() == pytest.approx(result.audit.totals["net_usd"])
    assert result.audit.bottleneck == result.report["bottleneck"]


def test_backtest_with_out_writes_exactly_what_the_cli_writes(tmp_path: Path) -> None:
    data, _, _ = _event_file(tmp_path / "events.parquet", 20_000)
    result = api.backtest(CONFIG, data, out=tmp_path / "api")
    run_dir = _cli_run(CONFIG, data, tmp_path / "cli")
    assert result.out == tmp_path / "api"
    names = sorted(path.name for path in run_dir.iterdir())
    assert sorted(path.name for path in result.out.iterdir()) == names
    assert "backtest.json" in names and "manifest.json" in names
    for name in names:
        assert (result.out / name).read_bytes() == (run_dir / name).read_bytes(), name


def test_backtest_of_an_mmconfig_is_the_backtest_of_its_file(tmp_path: Path) -> None:
    data, _, _ = _event_file(tmp_path / "events.parquet", 20_000)
    from_file = api.backtest(CONFIG, data)
    from_model = api.backtest(load_config(CONFIG, {}).config, data)
    assert from_model.report == from_file.report  # config_sha256 included
    assert from_model.fills.equals(from_file.fills)


def test_backtest_refuses_meta_beside_an_event_file(tmp_path: Path) -> None:
    data, _, meta = _event_file(tmp_path / "events.parquet", 1_000)
    with pytest.raises(ValueError, match="meta is for an EventBatch"):
        api.backtest(CONFIG, data, meta=meta)
