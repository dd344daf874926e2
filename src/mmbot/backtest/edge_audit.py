"""`mmbot edge-audit`: read a run directory, decompose its PnL, write JSON/MD/SVG reports.

Input is any mode's run directory (fills.csv, orders.csv, mids.csv, run.json); the math is
mmbot.audit's, this module only reads, groups, renders and writes. The first line of the
Markdown names the bottleneck - the largest drag - with its bps, and says when the run has too
few fills to judge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from mmbot.artifacts import fmt6, markdown_table, text_bytes, utc_iso, write_json, write_text
from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.audit import (
    COMPONENTS,
    NET_SIGN,
    Decomposition,
    FillArrays,
    MidSeries,
    Totals,
    bottleneck,
    decompose,
    markout_bps,
    totals,
)
from mmbot.engine.rundir_commit import check_out_dir, updating_run_dir
from mmbot.engine.rundir_read import RunData, read_run_dir

MARKOUT_HORIZONS_MS: Final = (100, 1000, 5000)
REPORT_JSON: Final = "edge_audit.json"
REPORT_MD: Final = "EDGE_AUDIT.md"
CHARTS: Final = ("equity.svg", "inventory.svg", "waterfall.svg")
REPORT_FILES: Final = (REPORT_JSON, REPORT_MD, *CHARTS)
FEE_SIGN: Final = "fees: paid is positive, a rebate negative (as in fills.csv)"
_NS_PER_MS: Final = 1_000_000
_NS_PER_HOUR: Final = 3_600_000_000_000


@dataclass(frozen=True, slots=True)
class AuditedFills:
    """All fills (every symbol) with their components, in fill-log order."""

    fills: FillArrays
    parts: Decomposition
    symbol: npt.NDArray[np.str_]
    strategy: npt.NDArray[np.str_]
    mids: dict[str, MidSeries]


def _fill_arrays(frame: pl.DataFrame) -> FillArrays:
    return FillArrays(
        ts_ns=frame["ts_ns"].to_numpy().astype(np.int64),
        side=np.where(frame["side"].to_numpy() == "buy", 1, -1).astype(np.int64),
        price=frame["price"].to_numpy().astype(np.float64),
        qty=frame["qty"].to_numpy().astype(np.float64),
        is_maker=frame["liquidity"].to_numpy() == "maker",
        fee_usd=frame["fee"].to_numpy().astype(np.float64),
        mid_at_fill=frame["mid_at_fill"].to_numpy().astype(np.float64),
    )


def _concat(parts: Sequence[Decomposition]) -> Decomposition:
    return Decomposition(
        **{name: np.concatenate([p.component(name) for p in parts]) for name in
           (*COMPONENTS, "notional")}
    )  # fmt: skip


def audit_fills(data: RunData, horizon_ns: int) -> AuditedFills:
    """Decompose every fill against its own symbol's mids; keep fill-log order."""
    fills = data.fills.with_row_index("row")
    mids: dict[str, MidSeries] = {}
    pieces: list[tuple[npt.NDArray[np.int64], Decomposition]] = []
    for symbol in sorted(set(data.mids["symbol"].to_list())):
        series = data.mids.filter(pl.col("symbol") == symbol)
        mids[symbol] = MidSeries(
            ts_ns=series["ts_ns"].to_numpy().astype(np.int64),
            mid=series["mid"].to_numpy().astype(np.float64),
        )
        subset = fills.filter(pl.col("symbol") == symbol)
        if subset.height == 0:
            continue
        pieces.append(
            (subset["row"].to_numpy(), decompose(_fill_arrays(subset), mids[symbol], horizon_ns))
        )
    if pieces:
        order = np.argsort(np.concatenate([rows for rows, _ in pieces]), kind="stable")
        merged = _concat([parts for _, parts in pieces])
        reordered = Decomposition(
            **{name: merged.component(name)[order] for name in (*COMPONENTS, "notional")}
        )
    else:
        reordered = Decomposition(**{name: np.zeros(0) for name in (*COMPONENTS, "notional")})
    return AuditedFills(
        fills=_fill_arrays(data.fills),
        parts=reordered,
        symbol=data.fills["symbol"].to_numpy().astype(np.str_),
        strategy=data.fills["strategy"].to_numpy().astype(np.str_),
        mids=mids,
    )


def totals_payload(total: Totals) -> dict[str, object]:
    """Return one group's (or the run's) totals as the report's JSON object."""
    return {
        "bps": total.bps,
        "fills": total.fills,
        "net_bps": total.net_bps,
        "net_usd": total.net_usd,
        "notional_usd": total.notional_usd,
        "usd": total.usd,
    }


def group_totals(audited: AuditedFills, keys: npt.NDArray[np.str_]) -> list[tuple[str, Totals]]:
    """Return (key, totals) of the fills of each key, sorted by key."""
    return [(str(key), totals(audited.parts, keys == key)) for key in sorted(set(keys.tolist()))]


def _hour_keys(ts_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    hours = ts_ns // _NS_PER_HOUR * _NS_PER_HOUR
    return np.array([utc_iso(int(hour))[:13] + "Z" for hour in hours], dtype=np.str_)


def _markouts(audited: AuditedFills) -> dict[str, float]:
    """Return notional-weighted markouts over all symbols for each horizon."""
    by_symbol: list[tuple[MidSeries, FillArrays, float]] = []
    for symbol, series in audited.mids.items():
        mask = audited.symbol == symbol
        subset = FillArrays(**{name: getattr(audited.fills, name)[mask] for name in
                               FillArrays.__slots__})  # fmt: skip
        by_symbol.append((series, subset, float(np.sum(subset.price * subset.qty))))
    out: dict[str, float] = {}
    for horizon_ms in MARKOUT_HORIZONS_MS:
        weighted, notional = 0.0, 0.0
        for series, subset, weight in by_symbol:
            weighted += markout_bps(subset, series, horizon_ms * _NS_PER_MS) * weight
            notional += weight
        out[f"{horizon_ms}ms"] = weighted / notional if notional > 0 else 0.0
    return out


def too_few_fills(fills: int, min_fills: int) -> str:
    """Return what a verdict line adds when fills < min_fills (too few to judge), else ""."""
    return f"reason=too_few_fills fills={fills} min_fills={min_fills}" if fills < min_fills else ""


def bottleneck_line(payload: dict[str, object]) -> str:
    """Return `bottleneck=<component> <bps> bps`, plus the too-few-fills reason when it holds."""
    worst, total = payload["bottleneck"], payload["totals"]
    assert isinstance(worst, dict) and isinstance(total, dict)
    note = too_few_fills(int(str(total["fills"])), int(str(payload["min_fills"])))
    line = f"bottleneck={worst['component']} {fmt6(float(worst['bps']))} bps"
    return f"{line} {note}" if note else line


def build_report(
    data: RunData, horizon_ms: int, min_fills: int
) -> tuple[dict[str, object], AuditedFills]:
    """Return the edge-audit payload and the per-fill decomposition behind it.

    min_fills: below it the report says the run has too few fills to judge.
    """
    audited = audit_fills(data, horizon_ms * _NS_PER_MS)
    total = totals(audited.parts)
    worst, worst_bps, worst_usd = bottleneck(total)
    payload: dict[str, object] = {
        "bottleneck": {"bps": worst_bps, "component": worst, "usd": worst_usd},
        "by_hour": [{"key": k, **totals_payload(t)} for k, t in
                    group_totals(audited, _hour_keys(audited.fills.ts_ns))],
        "by_strategy": [{"key": k, **totals_payload(t)} for k, t in
                        group_totals(audited, audited.strategy)],
        "by_symbol": [{"key": k, **totals_payload(t)} for k, t in
                      group_totals(audited, audited.symbol)],
        "charts": list(CHARTS),
        "horizon_ms": horizon_ms,
        "markouts_bps": _markouts(audited),
        "min_fills": min_fills,
        "run": {key: data.info.get(key) for key in ("config_sha256", "data_sha256", "mode")},
        "totals": totals_payload(total),
    }  # fmt: skip
    return payload, audited


def group_table(title: str, groups: list[dict[str, object]], total: dict[str, object]) -> str:
    """Return the `## By <title>` Markdown table of groups, with the TOTAL row last."""
    columns = ["key", "fills", "notional_usd", *(f"{c}_bps" for c in COMPONENTS), "net_bps"]

    def row(key: str, entry: dict[str, object]) -> list[str | int | float]:
        bps = entry["bps"]
        assert isinstance(bps, dict)
        return [key, int(str(entry["fills"])), float(str(entry["notional_usd"])),
                *(float(bps[c]) for c in COMPONENTS), float(str(entry["net_bps"]))]  # fmt: skip

    rows = [row(str(entry["key"]), entry) for entry in groups]
    return f"## By {title}\n\n" + markdown_table(columns, rows, total=row("TOTAL", total))


def render_markdown(payload: dict[str, object]) -> str:
    """Return the Markdown report; its first line names the bottleneck with its bps."""
    total = payload["totals"]
    markouts = payload["markouts_bps"]
    assert isinstance(total, dict) and isinstance(markouts, dict)
    usd, bps = total["usd"], total["bps"]
    assert isinstance(usd, dict) and isinstance(bps, dict)
    components = [[name, float(usd[name]), float(bps[name])] for name in COMPONENTS]
    sections = [
        f"# Edge audit: {bottleneck_line(payload)}",
        "",
        f"Fills {total['fills']}, traded notional {fmt6(float(str(total['notional_usd'])))} USD,"
        f" markout horizon {payload['horizon_ms']} ms.",
        "",
        f"net = gross + slippage + adverse + inventory - fees; {FEE_SIGN}.",
        "",
        "## Decomposition\n\n" + markdown_table(
            ["component", "usd", "bps"], components,
            total=["TOTAL", float(str(total["net_usd"])), float(str(total["net_bps"]))],
        ),
        "## Markouts\n\n" + markdown_table(
            ["horizon", "markout_bps"], [[k, float(v)] for k, v in sorted(markouts.items(),
                                         key=lambda kv: int(kv[0][:-2]))]
        ),
    ]  # fmt: skip
    for title in ("symbol", "strategy", "hour"):
        groups = payload[f"by_{title}"]
        assert isinstance(groups, list)
        sections.append(group_table(title, groups, total))
    sections.append("## Charts\n\n" + "\n".join(f"![{c[:-4]}]({c})" for c in CHARTS) + "\n")
    return "\n".join(sections)


def equity_and_inventory(
    audited: AuditedFills,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return (ts_ns, equity USD, inventory in base units) on the mids timeline."""
    timeline = np.unique(np.concatenate([s.ts_ns for s in audited.mids.values()]))
    equity = np.zeros(len(timeline))
    inventory = np.zeros(len(timeline))
    fills = audited.fills
    for symbol, series in audited.mids.items():
        mask = audited.symbol == symbol
        signed_qty = (fills.side * fills.qty)[mask]
        cash_flow = -(fills.side * fills.price * fills.qty)[mask] - fills.fee_usd[mask]
        seen = np.searchsorted(fills.ts_ns[mask], timeline, side="right")
        position = np.concatenate([[0.0], np.cumsum(signed_qty)])[seen]
        cash = np.concatenate([[0.0], np.cumsum(cash_flow)])[seen]
        equity += cash + position * series.asof(timeline)
        inventory += position
    return timeline, equity, inventory


def render_charts(payload: dict[str, object], audited: AuditedFills) -> dict[str, bytes]:
    """Return the three SVG charts by file name."""
    # matplotlib takes ~0.3 s to import: only runs that draw charts pay for it, not every
    # `mmbot` command (the CLI imports this module at start-up).
    from mmbot.backtest.charts import line_chart_svg, waterfall_svg

    timeline, equity, inventory = equity_and_inventory(audited)
    hours = ((timeline - timeline[0]) / _NS_PER_HOUR).astype(np.float64)
    total = payload["totals"]
    assert isinstance(total, dict)
    bps = total["bps"]
    assert isinstance(bps, dict)
    return {
        "equity.svg": line_chart_svg("Equity (marked to mid)", hours, equity, "USD"),
        "inventory.svg": line_chart_svg("Inventory", hours, inventory, "base units"),
        "waterfall.svg": waterfall_svg(
            "Edge waterfall", list(COMPONENTS), [NET_SIGN[c] * float(bps[c]) for c in COMPONENTS]
        ),
    }


def run_edge_audit(
    run_dir: Path,
    out: Path,
    horizon_ms: int,
    min_fills: int,
    dry_run: bool,
    say: Callable[[str], None],
) -> dict[str, object]:
    """Validate the run, then (unless dry_run) write JSON, MD and SVGs into out.

    Into the run directory itself, its manifest is updated so that it still verifies.
    """
    check_out_dir(out, keep_foreign=True)
    payload, audited = build_report(read_run_dir(run_dir), horizon_ms, min_fills)
    if dry_run or out.resolve() != run_dir.resolve():
        return write_edge_audit(payload, audited, out, dry_run, say)
    with updating_run_dir(run_dir, REPORT_FILES):
        return write_edge_audit(payload, audited, out, dry_run, say)


def write_edge_audit(
    payload: dict[str, object],
    audited: AuditedFills,
    out: Path,
    dry_run: bool,
    say: Callable[[str], None],
) -> dict[str, object]:
    """(Unless dry_run) write build_report's payload as JSON, MD and SVGs into out; return it."""
    markdown = render_markdown(payload)
    targets = [out / name for name in REPORT_FILES]
    if dry_run:
        for target in targets:
            say(f"would write {target}")
        return payload
    charts = render_charts(payload, audited)
    text_bytes(markdown, REPORT_MD)  # validate before anything is written
    write_json(out / REPORT_JSON, payload)
    for name, svg in charts.items():
        atomic_write_bytes(out / name, svg)
    write_text(out / REPORT_MD, markdown)
    for target in targets:
        say(f"wrote {target}")
    return payload
