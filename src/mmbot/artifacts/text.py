"""ASCII, LF-terminated text artifacts: plain text, CSV and Markdown tables."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.artifacts.formats import fmt6
from mmbot.core.errors import ArtifactError

Cell: TypeAlias = str | int | float | bool
TOTAL_LABEL = "TOTAL"


def text_bytes(text: str, where: str = "<memory>") -> bytes:
    """Return text as ASCII bytes ending with exactly one LF; refuse CR and non-ASCII."""
    if "\r" in text:
        raise ArtifactError("E_ART_NEWLINE", f"{where} holds a CR; artifacts use LF only")
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ArtifactError(
            "E_ART_NONASCII", f"{where} offset={exc.start} char={text[exc.start]!r}"
        ) from None
    return data.rstrip(b"\n") + b"\n"


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ASCII text with LF line endings atomically."""
    return atomic_write_bytes(path, text_bytes(text, where=os.fspath(path)))


def format_cell(value: Cell, where: str = "<memory>") -> str:
    """Return the canonical text of one cell: floats as fmt6, bools as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ArtifactError("E_ART_NONFINITE", f"{where} cell={value}")
        return fmt6(value)
    if "\n" in value or "\r" in value:
        raise ArtifactError("E_ART_NEWLINE", f"{where} cell={value!r} holds a line break")
    return value


def _table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    total: Sequence[Cell] | None,
    where: str,
) -> list[list[str]]:
    """Return header + rows (+ TOTAL last) as text cells, checking every row's width."""
    body = [*rows, total] if total is not None else list(rows)
    out = [list(columns)]
    for index, row in enumerate(body):
        if len(row) != len(columns):
            raise ArtifactError(
                "E_ART_CSV_SHAPE",
                f"{where} row={index} cells={len(row)} expected={len(columns)}"
                f" columns={','.join(columns)}",
            )
        out.append([format_cell(cell, where) for cell in row])
    labels = [cells[0] for cells in out[1:]]
    if total is not None and labels[-1] != TOTAL_LABEL:
        raise ArtifactError("E_ART_CSV_SHAPE", f"{where} TOTAL row must start with '{TOTAL_LABEL}'")
    if TOTAL_LABEL in labels[: len(rows)]:
        index = labels.index(TOTAL_LABEL)
        raise ArtifactError(
            "E_ART_CSV_SHAPE",
            f"{where} row={index} is a TOTAL row; pass it as total= so it is last",
        )
    return out


def csv_text(
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    total: Sequence[Cell] | None = None,
    where: str = "<memory>",
) -> str:
    """Return CSV text in the given column order; a TOTAL row, if given, is always last."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(_table(columns, rows, total, where))
    return buffer.getvalue()


def write_csv(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    total: Sequence[Cell] | None = None,
) -> Path:
    """Write a CSV artifact atomically (ASCII, LF, fixed column order, TOTAL last)."""
    where = os.fspath(path)
    return atomic_write_bytes(path, text_bytes(csv_text(columns, rows, total, where), where))


def markdown_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    total: Sequence[Cell] | None = None,
    where: str = "<memory>",
) -> str:
    """Return a GitHub-style Markdown table; a TOTAL row, if given, is always last."""
    table = _table(columns, rows, total, where)
    for cells in table:
        for cell in cells:
            if "|" in cell:
                raise ArtifactError("E_ART_CSV_SHAPE", f"{where} cell={cell!r} holds '|'")
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines.extend("| " + " | ".join(cells) + " |" for cells in table[1:])
    return "\n".join(lines) + "\n"
