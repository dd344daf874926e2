"""`mmbot investor package`: exports, a deck and an SOP from run directories, the same bytes
for the same inputs (docs/INVESTOR.md).

--out, written whole (built aside, renamed into place; manifest.json last):
    exports/  daily.csv, monthly_returns.csv, by_symbol.csv, by_strategy.csv, edge.csv (each
              with its TOTAL row last), risk_limits.csv, package.json (every figure unrounded)
    deck/     DECK.md and deck.html (one set of blocks rendered twice), charts/*.svg
    SOP.md    the operating procedure (sop.py)
Every figure comes from the runs' fills.csv, mids.csv and orders.csv (figures.py, limits.py)
and the config the runs were made with (checked by its sha256).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from mmbot.artifacts import (
    TOTAL_LABEL,
    Cell,
    atomic_write_bytes,
    canonical_json_bytes,
    csv_text,
    discard_stage,
    fmt6,
    replace_folder,
    stage_folder,
    text_bytes,
    utc_iso,
)
from mmbot.audit import COMPONENTS, NET_SIGN, Totals
from mmbot.config import EffectiveConfig
from mmbot.config.book import book_of
from mmbot.core.errors import AuditError, UsageError
from mmbot.engine.rundir_read import RunData
from mmbot.investor import charts
from mmbot.investor.deck import (
    Block,
    Figure,
    Heading,
    Paragraph,
    Table,
    render_html,
    render_markdown,
)
from mmbot.investor.figures import (
    Book,
    Period,
    audit_book,
    day_key,
    groups,
    headline,
    month_key,
    periods,
)
from mmbot.investor.limits import LIMIT_COLUMNS, LimitUse, limit_uses
from mmbot.investor.sop import render_sop

KIND: Final = "mmbot-investor-package"
MANIFEST: Final = "manifest.json"
DECK_MD: Final = "deck/DECK.md"
DECK_HTML: Final = "deck/deck.html"
SOP_MD: Final = "SOP.md"
PACKAGE_JSON: Final = "exports/package.json"
SIMULATED_MODES: Final = ("backtest", "live-sim", "shadow")
PERIOD_COLUMNS: Final = ("pnl_usd", "return_pct", "fees_usd", "notional_usd", "fills")
GROUP_COLUMNS: Final = ("fills", "notional_usd", "fees_usd", "net_usd", "net_bps")
RUN_COLUMNS: Final = ("run", "mode", "first_utc", "last_utc", "fills", "data_sha256")
SIMULATED_NOTE: Final = (
    "Simulated results: backtest, live-sim and shadow runs trade against a simulator or on "
    "paper, not on a venue (docs/MODES.md). They are not a record of trading."
)
_NS_PER_HOUR: Final = 3_600_000_000_000


@dataclass(frozen=True, slots=True)
class PackageRequest:
    """What a package is made of: the runs (name, contents), the config they were made with,
    the docs folder the SOP is built from, the markout horizon and the time it is made at."""

    runs: Sequence[tuple[str, RunData]]
    effective: EffectiveConfig
    docs: Path
    horizon_ms: int
    generated_ns: int

    @property
    def capital_usd(self) -> float:
        """Return the capital returns are measured on: the config's alloc.budget_usd."""
        return self.effective.config.alloc.budget_usd


def check_config(request: PackageRequest) -> None:
    """Refuse a config that is not the one every run recorded (E_INVESTOR_CONFIG_MISMATCH)."""
    expected = request.effective.describe().sha256
    for name, data in request.runs:
        if data.info.get("config_sha256") != expected:
            raise AuditError(
                "E_INVESTOR_CONFIG_MISMATCH",
                f"run={name} config_sha256={data.info.get('config_sha256')} but --config "
                f"{request.effective.source} has sha256={expected}; pass the config (and "
                "MM_PROFILE) the runs were made with: its limits and capital are in the deck",
            )


def _period_table(label: str, items: Sequence[Period], capital_usd: float) -> Table:
    def row(key: str, pnl: float, fees: float, notional: float, fills: int) -> list[Cell]:
        return [key, pnl, 100.0 * pnl / capital_usd, fees, notional, fills]

    def total(name: str) -> float:
        return math.fsum(getattr(p, name) for p in items)

    rows = [row(p.key, p.pnl_usd, p.fees_usd, p.notional_usd, p.fills) for p in items]
    fills = sum(p.fills for p in items)
    return Table((label, *PERIOD_COLUMNS), rows, row(TOTAL_LABEL, total("pnl_usd"),
                 total("fees_usd"), total("notional_usd"), fills))  # fmt: skip


def _group_table(label: str, items: Sequence[tuple[str, Totals]], total: Totals) -> Table:
    def row(key: str, t: Totals) -> list[Cell]:
        return [key, t.fills, t.notional_usd, t.usd["fees"], t.net_usd, t.net_bps]

    return Table((label, *GROUP_COLUMNS), [row(k, t) for k, t in items], row(TOTAL_LABEL, total))


def build_tables(book: Book, limits: Sequence[LimitUse], capital_usd: float) -> dict[str, Table]:
    """Return every table of the package by export name."""
    total = book.total()
    return {
        "daily": _period_table("day", periods(book, day_key), capital_usd),
        "monthly_returns": _period_table("month", periods(book, month_key), capital_usd),
        "by_symbol": _group_table("symbol", groups(book, book.symbol), total),
        "by_strategy": _group_table("strategy", groups(book, book.strategy), total),
        "edge": Table(("component", "usd", "bps"),
                      [[name, total.usd[name], total.bps[name]] for name in COMPONENTS],
                      [TOTAL_LABEL, total.net_usd, total.net_bps]),
        "risk_limits": Table(LIMIT_COLUMNS, [use.row() for use in limits]),
    }  # fmt: skip


def build_charts(book: Book, tables: Mapping[str, Table]) -> dict[str, bytes]:
    """Return the deck's SVG charts by file name."""
    hours = ((book.timeline - book.timeline[0]) / _NS_PER_HOUR).astype(np.float64)
    monthly, limits, total = tables["monthly_returns"], tables["risk_limits"], book.total()
    return {
        "equity.svg": charts.line_chart_svg("Equity (every run, marked to mid)", hours,
                                            book.equity, "USD"),
        "drawdown.svg": charts.line_chart_svg("Drawdown from the high-water mark", hours,
                                              book.drawdown, "USD"),
        "monthly_returns.svg": charts.bar_chart_svg(
            "Monthly returns", [str(r[0]) for r in monthly.rows],
            [float(r[2]) for r in monthly.rows], "% of capital"),
        "edge.svg": charts.waterfall_svg("Edge decomposition", list(COMPONENTS),
                                         [NET_SIGN[c] * total.bps[c] for c in COMPONENTS]),
        "risk_limits.svg": charts.bar_chart_svg(
            "Peak use of each risk limit", [f"{r[0]} {r[1]}" for r in limits.rows],
            [float(r[5]) for r in limits.rows], "% of limit", reference=100.0),
    }  # fmt: skip


def title_of(effective: EffectiveConfig) -> str:
    """Return the book's name: its symbols and strategies."""
    book = book_of(effective.config)
    return f"{', '.join(book.symbols)} quoted by {', '.join(s.id for s in book.strategies)}"


def _run_rows(request: PackageRequest) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for name, data in request.runs:
        mids = data.mids["ts_ns"].to_numpy()
        span = [utc_iso(int(mids.min())), utc_iso(int(mids.max()))] if len(mids) else ["", ""]
        rows.append([name, str(data.info.get("mode")), *span, data.fills.height,
                     str(data.info.get("data_sha256"))])  # fmt: skip
    return rows


def _source_paragraphs(request: PackageRequest) -> list[Block]:
    modes = sorted({str(data.info.get("mode")) for _, data in request.runs})
    blocks: list[Block] = [
        Paragraph(
            f"Generated {utc_iso(request.generated_ns)} from {len(request.runs)} run(s) "
            f"(modes: {', '.join(modes)}) with the config of sha256 "
            f"{request.effective.describe().sha256}. Capital: {fmt6(request.capital_usd)} USD "
            "(alloc.budget_usd); returns are PnL over it."
        )
    ]
    if set(modes) & set(SIMULATED_MODES):
        blocks.append(Paragraph(SIMULATED_NOTE))
    return blocks


def deck_blocks(request: PackageRequest, figures: Mapping[str, Cell],
                tables: Mapping[str, Table]) -> list[Block]:  # fmt: skip
    """Return the deck: headline, equity, returns, drawdown, edge, groups, limits, sources."""
    return [
        Heading(1, f"Investor deck: {title_of(request.effective)}"),
        *_source_paragraphs(request),
        Heading(2, "Headline figures"),
        Table(("figure", "value"), [[name, value] for name, value in figures.items()]),
        Heading(2, "Equity curve"),
        Paragraph("Cash of the fills plus the positions at the mid, every run summed (each "
                  "run starts flat); hours since the first mid."),
        Figure("equity", "charts/equity.svg"),
        Heading(2, "Monthly returns"),
        tables["monthly_returns"],
        Figure("monthly returns", "charts/monthly_returns.svg"),
        Heading(2, "Drawdown"),
        Paragraph(f"Equity below its running high-water mark (from 0); the largest is "
                  f"{fmt6(float(figures['max_drawdown_usd']))} USD."),
        Figure("drawdown", "charts/drawdown.svg"),
        Heading(2, "Edge decomposition"),
        Paragraph("net = gross + slippage + adverse + inventory - fees; fees paid are positive, "
                  "a rebate negative (docs/EDGE_AUDIT.md)."),
        tables["edge"],
        Figure("edge decomposition", "charts/edge.svg"),
        Heading(2, "By symbol"),
        tables["by_symbol"],
        Heading(2, "By strategy"),
        tables["by_strategy"],
        Heading(2, "Risk limits"),
        Paragraph("Each cap of the config against the highest value any run reached "
                  "(docs/INVESTOR.md, Risk limits)."),
        tables["risk_limits"],
        Figure("risk limits", "charts/risk_limits.svg"),
        Heading(2, "Sources"),
        Table(RUN_COLUMNS, _run_rows(request)),
    ]  # fmt: skip


def _json_table(table: Table) -> dict[str, object]:
    return {"columns": list(table.columns), "rows": table.rows, "total": table.total}


def package_files(request: PackageRequest) -> dict[str, bytes]:
    """Return every file of the package (path within --out -> bytes), manifest excepted."""
    check_config(request)
    book = audit_book([data for _, data in request.runs], request.horizon_ms)
    limits = limit_uses(request.effective.config, [d for _, d in request.runs], book.runs)
    tables = build_tables(book, limits, request.capital_usd)
    figures = headline(book, request.capital_usd)
    blocks = deck_blocks(request, figures, tables)
    files = {f"exports/{name}.csv": text_bytes(csv_text(t.columns, t.rows, t.total), name)
             for name, t in tables.items()}  # fmt: skip
    files |= {f"deck/charts/{name}": svg for name, svg in build_charts(book, tables).items()}
    files[PACKAGE_JSON] = canonical_json_bytes({
        "config": {"capital_usd": request.capital_usd,
                   "sha256": request.effective.describe().sha256},
        "generated_at": utc_iso(request.generated_ns), "headline": figures,
        "horizon_ms": request.horizon_ms, "kind": KIND,
        "runs": [dict(zip(RUN_COLUMNS, row,
                          strict=True)) for row in _run_rows(request)],
        "tables": {name: _json_table(t) for name, t in tables.items()},
    }, PACKAGE_JSON)  # fmt: skip
    files[DECK_MD] = text_bytes(render_markdown(blocks), DECK_MD)
    files[DECK_HTML] = text_bytes(render_html(f"Investor deck: {title_of(request.effective)}",
                                              blocks), DECK_HTML)  # fmt: skip
    files[SOP_MD] = text_bytes(render_sop(request.docs, request.effective, limits,
                                          title_of(request.effective)), SOP_MD)  # fmt: skip
    return dict(sorted(files.items()))


def _listed(out: Path) -> set[str] | None:
    """Return the files an earlier package's manifest lists (None: out holds no package)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        return None
    return {MANIFEST, *manifest.get("files", {})}


def _refuse_foreign(out: Path) -> None:
    """--out is replaced whole: it must be new, empty or an earlier package, untouched."""
    if out.exists() and not out.is_dir():
        raise UsageError("E_INVESTOR_OUT_FOREIGN", f"--out {out} is a file; give a folder")
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} if \
        out.is_dir() else set()  # fmt: skip
    foreign = sorted(present - (_listed(out) or set()))
    if foreign:
        raise UsageError(
            "E_INVESTOR_OUT_FOREIGN",
            f"--out {out} holds {foreign[0]}, which is not part of an earlier investor package; "
            "the package replaces the folder whole: give a new or empty folder",
        )


def write_package(files: Mapping[str, bytes], out: Path, say: Callable[[str], None]) -> None:
    """Write files into --out whole, manifest.json (every file's sha256) last."""
    out = out.absolute()
    _refuse_foreign(out)
    stage = stage_folder(out)
    try:
        for name, data in files.items():
            atomic_write_bytes(stage / name, data)
        manifest = {"files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()},
                    "kind": KIND}  # fmt: skip
        atomic_write_bytes(stage / MANIFEST, canonical_json_bytes(manifest, MANIFEST))
        replace_folder(stage, out)
    except BaseException:
        discard_stage(stage)
        raise
    for name in (*files, MANIFEST):
        say(f"wrote {out / name}")
