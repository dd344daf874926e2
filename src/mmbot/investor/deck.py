"""A document as a list of blocks, rendered to Markdown and to a static HTML page.

The deck is written once as blocks and rendered twice, so its Markdown and its HTML show the
same figures in the same text: every table cell goes through the artifact writer's
format_cell (floats with six decimals) in both. The HTML has no script and loads nothing but
its own SVG files, so it renders offline and the same in every browser.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from mmbot.artifacts import Cell, format_cell, markdown_table


@dataclass(frozen=True, slots=True)
class Heading:
    """A section title (level 1 is the document's)."""

    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Plain text (no Markdown syntax: it is shown as is in both renderings)."""

    text: str


@dataclass(frozen=True, slots=True)
class Table:
    """A table; total, when given, is its last row and starts with TOTAL."""

    columns: tuple[str, ...]
    rows: list[list[Cell]]
    total: list[Cell] | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """An image file, by its path relative to the document."""

    alt: str
    path: str


Block: TypeAlias = Heading | Paragraph | Table | Figure
_STYLE: Final = (
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em auto;max-width:60em;"
    "color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:0.2em 0.6em;text-align:right;overflow-wrap:anywhere}"
    "th:first-child,td:first-child{text-align:left}tr.total td{font-weight:bold}"
    "img{max-width:100%;display:block;margin:0.5em 0 1.5em}"
)


def render_markdown(blocks: Sequence[Block]) -> str:
    """Return the blocks as Markdown."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}\n")
        elif isinstance(block, Paragraph):
            parts.append(f"{block.text}\n")
        elif isinstance(block, Table):
            parts.append(markdown_table(block.columns, block.rows, total=block.total))
        else:
            parts.append(f"![{block.alt}]({block.path})\n")
    return "\n".join(parts)


def _html_row(cells: Sequence[Cell], tag: str, css: str = "") -> str:
    inner = "".join(f"<{tag}>{html.escape(format_cell(cell))}</{tag}>" for cell in cells)
    return f"<tr{css}>{inner}</tr>"


def _html_table(table: Table) -> str:
    body = [_html_row(row, "td") for row in table.rows]
    if table.total is not None:
        body.append(_html_row(table.total, "td", ' class="total"'))
    head = _html_row(table.columns, "th")
    return f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Table):
        return _html_table(block)
    return f'<img src="{html.escape(block.path)}" alt="{html.escape(block.alt)}">'


def render_html(title: str, blocks: Sequence[Block]) -> str:
    """Return the blocks as a standalone HTML page (ASCII, no script)."""
    body = "\n".join(_html_block(block) for block in blocks)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
