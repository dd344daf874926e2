"""Investor package from hand-made runs: the same inputs give the same bytes, exports and deck
show the same figures, the SOP is built whole from the docs or refused, and --out, --config
and the docs are checked before anything is written."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.unit.finops.handmade import mmbot_cli
from tests.unit.investor.book_runs import CONFIG, DOCS, NET_USD, book_config, write_book_runs

from mmbot.artifacts import fmt6
from mmbot.core.errors import AuditError
from mmbot.finops import load_runs
from mmbot.investor import PackageRequest, package_files, render_sop
from mmbot.investor.deck import Figure, Heading, Paragraph, Table, render_html, render_markdown

AT = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book_runs(tmp_path_factory.mktemp("runs"))


def _request(runs_dir: Path, docs: Path = DOCS) -> PackageRequest:
    return PackageRequest(load_runs(runs_dir), book_config(), docs, 1000, 1_767_225_600 * 10**9)


def _package(capsys: pytest.CaptureFixture[str], runs_dir: Path, out: Path,
             *extra: str) -> tuple[int, str, str]:  # fmt: skip
    args = ("--runs", str(runs_dir), "-c", str(CONFIG), "--docs", str(DOCS), "--out", str(out))
    return mmbot_cli(capsys, "investor", "package", *args, "--at", AT, *extra)


def test_package_files_twice_are_the_same_bytes(runs_dir: Path) -> None:
    first, second = package_files(_request(runs_dir)), package_files(_request(runs_dir))
    assert list(first) == list(second)
    assert all(first[name] == second[name] for name in first)
    assert all(data.isascii() and b"\r" not in data for data in first.values())


def test_package_exports_have_total_last_and_agree_with_the_json(runs_dir: Path) -> None:
    files = package_files(_request(runs_dir))
    tables = json.loads(files["exports/package.json"])["tables"]
    for name in ("daily", "monthly_returns", "by_symbol", "by_strategy", "edge"):
        rows = list(csv.reader(files[f"exports/{name}.csv"].decode().splitlines()))
        assert rows[-1][0] == "TOTAL", name
        table = tables[name]
        expected = [table["columns"], *table["rows"], table["total"]]
        assert rows == [[v if isinstance(v, str) else fmt6(v) if isinstance(v, float) else
                         str(v) for v in row] for row in expected], name  # fmt: skip
    monthly = tables["monthly_returns"]
    assert [row[0] for row in monthly["rows"]] == ["2024-01", "2024-02"]
    assert monthly["total"][1] == pytest.approx(NET_USD, abs=1e-12)


def test_package_deck_markdown_and_html_show_the_same_cells(runs_dir: Path) -> None:
    files = package_files(_request(runs_dir))
    markdown, page = files["deck/DECK.md"].decode(), files["deck/deck.html"].decode()
    cells = [c.strip() for line in markdown.splitlines() if line.startswith("| ")
             for c in line.strip("|").split("|")]  # fmt: skip
    assert f"| net_pnl_usd | {fmt6(NET_USD)} |" in markdown
    assert all(f">{cell}</t" in page for cell in cells)
    assert "<script" not in page
    charts = {
        line[line.index("(") + 1 : -1] for line in markdown.splitlines() if line.startswith("![")
    }
    assert {f"deck/{chart}" for chart in charts} == {n for n in files if n.endswith(".svg")}


def test_render_html_escapes_text_and_marks_the_total_row() -> None:
    blocks = [Heading(1, "a < b"), Paragraph("x & y"), Table(("k", "v"), [["a", 1.5]],
              ["TOTAL", 1.5]), Figure("chart", "charts/c.svg")]  # fmt: skip
    page = render_html("t", blocks)
    assert "<h1>a &lt; b</h1>" in page and "<p>x &amp; y</p>" in page
    assert '<tr class="total"><td>TOTAL</td><td>1.500000</td></tr>' in page
    assert "| TOTAL | 1.500000 |" in render_markdown(blocks)


def test_sop_takes_every_runbook_and_the_configs_limits(runs_dir: Path) -> None:
    sop = package_files(_request(runs_dir))["SOP.md"].decode()
    observability = (DOCS / "OBSERVABILITY.md").read_text()
    alerts = [line.split("|")[1].strip() for line in observability.split("## Alerts")[1]
              .split("## Runbooks")[0].splitlines() if line.startswith("| ") and "---" not in
              line][1:]  # fmt: skip
    assert alerts and all(f"\n### {alert}\n" in sop for alert in alerts)
    assert hashlib.sha256(observability.encode()).hexdigest() in sop
    assert "| max_gross_notional_usd | book | 25000.000000 | USD |" in sop
    assert "| ETHUSDT | synthetic | 0.010000 | 0.010000 | glft, fixed_spread |" in sop


@pytest.mark.parametrize(
    ("edit", "names"),
    [
        (lambda text: text.replace("### StuckOrders", "### Stuck"), "StuckOrders"),
        (lambda text: text.replace("- **Do:** cancel the order by hand", "- cancel"), "**Do:**"),
        (lambda text: text.replace("## Runbooks", "## Playbooks"), "## Runbooks"),
    ],
)
def test_render_sop_refuses_docs_missing_a_part(
    tmp_path: Path, edit: Callable[[str], str], names: str
) -> None:
    shutil.copy(DOCS / "MODES.md", tmp_path / "MODES.md")
    text = (DOCS / "OBSERVABILITY.md").read_text()
    (tmp_path / "OBSERVABILITY.md").write_text(edit(text))
    with pytest.raises(AuditError) as caught:
        render_sop(tmp_path, book_config(), [], "t")
    assert caught.value.code == "E_INVESTOR_SOURCE" and names in caught.value.detail


def test_cli_writes_the_package_with_a_manifest_and_rewrites_it_whole(
    capsys: pytest.CaptureFixture[str], runs_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    code, stdout, err = _package(capsys, runs_dir, out)
    assert (code, err) == (0, "") and stdout.splitlines()[-1].startswith("RESULT=OK runs=2 ")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "mmbot-investor-package"
    for name, sha in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha
    (out / "deck" / "DECK.md").write_text("stale\n")
    assert _package(capsys, runs_dir, out)[0] == 0  # an earlier package is replaced whole
    assert (out / "deck" / "DECK.md").read_text() != "stale\n"


def test_cli_refuses_an_out_holding_other_files(
    capsys: pytest.CaptureFixture[str], runs_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    code, _, err = _package(capsys, runs_dir, tmp_path)
    assert code == 2 and err.startswith("E_INVESTOR_OUT_FOREIGN: ") and "notes.txt" in err


def test_cli_refuses_runs_made_with_another_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runs = write_book_runs(tmp_path / "runs", config_sha256="c" * 64)
    code, _, err = _package(capsys, runs, tmp_path / "out")
    assert code == 2 and err.startswith("E_INVESTOR_CONFIG_MISMATCH: run=run-a ")
    assert not (tmp_path / "out").exists()
