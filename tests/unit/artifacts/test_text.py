from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmbot.artifacts import csv_text, markdown_table, write_csv, write_text
from mmbot.core.errors import ArtifactError

pytestmark = pytest.mark.selected


def test_csv_fixed_columns_fmt6_total_last_lf(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "pnl.csv",
        ["symbol", "fills", "net_usd"],
        [["BTC", 3, 1.5], ["ETH", 2, -0.25]],
        total=["TOTAL", 5, 1.25],
    )
    assert path.read_bytes() == (
        b"symbol,fills,net_usd\nBTC,3,1.500000\nETH,2,-0.250000\nTOTAL,5,1.250000\n"
    )


def test_csv_row_width_mismatch_rejected() -> None:
    with pytest.raises(ArtifactError, match=r"E_ART_CSV_SHAPE: .* row=1 cells=1 expected=2"):
        csv_text(["a", "b"], [["x", 1], ["y"]])


def test_csv_total_row_inside_body_rejected() -> None:
    with pytest.raises(ArtifactError, match="row=0 is a TOTAL row"):
        csv_text(["a", "b"], [["TOTAL", 1], ["y", 2]])


def test_csv_total_row_must_be_labelled() -> None:
    with pytest.raises(ArtifactError, match="TOTAL row must start"):
        csv_text(["a", "b"], [["x", 1]], total=["sum", 1])


def test_markdown_table_total_last() -> None:
    text = markdown_table(["k", "v"], [["a", 1.0]], total=["TOTAL", 1.0])
    assert text == "| k | v |\n|---|---|\n| a | 1.000000 |\n| TOTAL | 1.000000 |\n"


def test_markdown_table_pipe_in_cell_rejected() -> None:
    with pytest.raises(ArtifactError, match=re.escape("holds '|'")):
        markdown_table(["k"], [["a|b"]])


@pytest.mark.parametrize(
    ("text", "code"),
    [("caf\u00e9\n", "E_ART_NONASCII"), ("a\r\nb\n", "E_ART_NEWLINE")],
)
def test_write_text_refuses_non_ascii_and_cr(tmp_path: Path, text: str, code: str) -> None:
    with pytest.raises(ArtifactError, match=code):
        write_text(tmp_path / "x.md", text)
    assert not (tmp_path / "x.md").exists()


def test_write_text_exactly_one_trailing_lf(tmp_path: Path) -> None:
    assert write_text(tmp_path / "a.md", "line\n\n\n").read_bytes() == b"line\n"
    assert write_text(tmp_path / "b.md", "line").read_bytes() == b"line\n"
