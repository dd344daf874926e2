"""The live modes' reports: live_sim.json/LIVE_SIM.md (the backtest report of the run
directory plus how the run ended), shadow.json and canary.json (the engine's ledger, the
wrappers' counts, how the run ended).

A book's live-sim report is its backtest report (by_symbol/by_strategy/by_leg, mux.svg); a
book's ledger block adds the figures by symbol, by strategy and by leg to the book's totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from mmbot.artifacts import write_json, write_text
from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.backtest.book_report import mux_chart_svg
from mmbot.backtest.run import (
    MUX_CHART,
    DataSpan,
    audited_report,
    build_backtest_report,
    render_backtest_md,
    write_book_run,
    write_run,
)
from mmbot.config import EffectiveConfig
from mmbot.engine.book import Leg, SymbolBook
from mmbot.engine.journal import SENDS
from mmbot.engine.live import RunOutcome
from mmbot.engine.live_canary import REFUSAL_REASONS
from mmbot.engine.loop import Engine
from mmbot.engine.rundir_commit import building_run_dir
from mmbot.node.metrics_serving import book_extras
from mmbot.node.replay import Replay, ReplaySet
from mmbot.node.systems import Mode, System

LIVE_SIM_JSON: Final = "live_sim.json"
LIVE_SIM_MD: Final = "LIVE_SIM.md"
SHADOW_JSON: Final = "shadow.json"
CANARY_JSON: Final = "canary.json"


def _live_payload(system: System, outcome: RunOutcome) -> dict[str, object]:
    """Return a report's `live` section: how the run ended, the session it was and the
    journal's counts of that session (earlier sessions' lines stay in journal.jsonl)."""
    journal = system.journal
    return {**outcome.payload(), "journal": journal.counts(), "session": journal.session}


def _ledger_payload(engine: Engine) -> dict[str, object]:
    """Return the engine ledgers' figures for a mode's report (shadow: paper fills): a
    one-leg engine's as they are; a book's totals, then by symbol, by strategy and by leg
    (positions only where they are in one symbol's lots: by symbol and by leg)."""
    if len(engine.legs) == 1:
        return dict(_leg_figures(engine.books[0], engine.legs[0]))
    by_leg = {leg.key: _leg_figures(book, leg) for book in engine.books for leg in book.legs}
    by_symbol = {
        book.symbol: _summed([by_leg[leg.key] for leg in book.legs], _FIGURES)
        for book in engine.books
    }
    by_strategy = {
        strategy: _summed([by_leg[leg.key] for leg in engine.legs if leg.strategy_id == strategy],
                          _MONEY)
        for strategy in dict.fromkeys(leg.strategy_id for leg in engine.legs)
    }  # fmt: skip
    return {**_summed(list(by_symbol.values()), _MONEY), "by_leg": by_leg,
            "by_strategy": by_strategy, "by_symbol": by_symbol}  # fmt: skip


_MONEY: Final = ("cash_usd", "fees_usd", "fills", "notional_usd", "pnl_usd")
_FIGURES: Final = (*_MONEY, "position_lots")


def _leg_figures(book: SymbolBook, leg: Leg) -> dict[str, float | int]:
    """Return a leg's figures, its position marked at its symbol's venue mid."""
    ledger = leg.ledger
    mid_usd = 0.5 * book.venue.exch_mid_ticks_x2 * book.tick_size
    return {
        "cash_usd": ledger.cash_usd,
        "fees_usd": ledger.fees_usd,
        "fills": ledger.fills,
        "notional_usd": ledger.notional_usd,
        "pnl_usd": ledger.pnl_usd(mid_usd),
        "position_lots": ledger.position_lots,
    }


def _summed(rows: Sequence[dict[str, float | int]], names: Sequence[str]
            ) -> dict[str, float | int]:  # fmt: skip
    """Return the sums of the named figures over rows (money and fills add over symbols;
    positions only within one symbol)."""
    return {name: sum(row[name] for row in rows) for name in names}


def write_live_sim_report(
    out: Path,
    system: System,
    outcome: RunOutcome,
    effective: EffectiveConfig,
    replay: Replay | ReplaySet,
    colour: str = "blue",
) -> dict[str, object]:
    """Write the run directory and the live-sim report (backtest report + how the run ended);
    a book's (replay: a ReplaySet) as its backtest writes them, with mux.svg. colour: the
    deployment's, in metrics.prom's latency metric.

    They are built aside and moved into out with their manifest last; out's journal stays.
    """
    engine, mode = system.engine, Mode.live_sim.value
    extras = book_extras(system, colour)
    with building_run_dir(out, keep_foreign=True) as stage:
        if isinstance(replay, ReplaySet):
            write_book_run(engine, stage, effective, replay.files, mode=mode, extras=extras)
            report = audited_report(stage, effective, engine.values(), replay.span,
                                     by_group=True)[0]  # fmt: skip
            atomic_write_bytes(stage / MUX_CHART, mux_chart_svg(engine))
        else:
            write_run(engine, stage, effective, replay.meta, replay.path, mode=mode, extras=extras)
            report = build_backtest_report(
                stage, effective, engine.values(), DataSpan.of(replay.events)
            )
        report["mode"] = mode
        report["live"] = _live_payload(system, outcome)
        write_json(stage / LIVE_SIM_JSON, report)
        write_text(stage / LIVE_SIM_MD, render_live_sim_md(report))
    return report


def render_live_sim_md(report: dict[str, object]) -> str:
    """Return LIVE_SIM.md: the backtest layout under a live-sim title, then how the run ended."""
    body = render_backtest_md(report).replace("# Backtest: ", "# Live sim: ", 1)
    live = report["live"]
    assert isinstance(live, dict)
    journal = live["journal"]
    assert isinstance(journal, dict)
    lines = [
        body.rstrip("\n"),
        "",
        "## Live run",
        "",
        *(f"- {key}: {live[key]}" for key in sorted(live) if key != "journal"),
        "- journal: " + ", ".join(f"{k}={journal[k]}" for k in sorted(journal)),
        "",
    ]
    return "\n".join(lines)


def write_shadow_report(out: Path, system: System, outcome: RunOutcome) -> Path:
    """Write shadow.json: what would have been sent, how the run ended, the engine values;
    on a venue's feed also the bridge's figures (its blocked decisions, zero sends)."""
    shadows = system.shadows
    assert shadows, "a shadow report needs a shadow system"
    venue = {} if system.bridge is None else {"venue": system.bridge.summary()}
    by_symbol = {symbol: dict(shadow.sends) for symbol, shadow in shadows.items()}
    totals = {action: sum(sends[action] for sends in by_symbol.values()) for action in SENDS}
    several = {"shadow_orders_by_symbol": by_symbol} if len(shadows) > 1 else {}
    return write_json(out / SHADOW_JSON, {
        "live": _live_payload(system, outcome),
        "mode": Mode.shadow.value,
        "ledger": _ledger_payload(system.engine),
        "shadow_orders_total": totals,
        "values": system.engine.values(),
        **several,
        **venue,
    })  # fmt: skip


def write_venue_report(out: Path, system: System, outcome: RunOutcome) -> Path:
    """Write canary.json (canary and live): refusals, ledger, how the run ended, the venue;
    a book's refusals are summed over its symbols and given by symbol (`venue` has its
    figures by symbol too)."""
    canaries, bridge = system.canaries, system.bridge
    assert canaries and bridge is not None, "a venue report needs a venue system"
    by_symbol = {symbol: dict(canary.refused) for symbol, canary in canaries.items()}
    totals = {reason: sum(row[reason] for row in by_symbol.values()) for reason in REFUSAL_REASONS}
    several = {"canary_refused_by_symbol": by_symbol} if len(canaries) > 1 else {}
    return write_json(out / CANARY_JSON, {
        "canary_refused_total": totals,
        "ledger": _ledger_payload(system.engine),
        "live": _live_payload(system, outcome),
        "mode": system.mode.value,
        "values": system.engine.values(),
        "venue": bridge.summary(),
        **several,
    })  # fmt: skip
