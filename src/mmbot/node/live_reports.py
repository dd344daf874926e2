"""The live modes' reports: live_sim.json/LIVE_SIM.md (the backtest report of the run
directory plus how the run ended), shadow.json and canary.json (the engine's ledger, the
wrappers' counts, how the run ended)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from mmbot.artifacts import write_json, write_text
from mmbot.backtest.run import DataSpan, build_backtest_report, render_backtest_md, write_run
from mmbot.config import EffectiveConfig
from mmbot.engine.live import RunOutcome
from mmbot.engine.loop import Engine
from mmbot.engine.rundir_commit import building_run_dir
from mmbot.node.replay import Replay
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
    """Return the engine ledger's figures for a mode's report (shadow: paper fills)."""
    ledger = engine.ledger
    mid_usd = 0.5 * engine.venue.exch_mid_ticks_x2 * engine.strategy.tick_size
    return {
        "cash_usd": ledger.cash_usd,
        "fees_usd": ledger.fees_usd,
        "fills": ledger.fills,
        "notional_usd": ledger.notional_usd,
        "pnl_usd": ledger.pnl_usd(mid_usd),
        "position_lots": ledger.position_lots,
    }


def write_live_sim_report(
    out: Path, system: System, outcome: RunOutcome, effective: EffectiveConfig, replay: Replay
) -> dict[str, object]:
    """Write the run directory and the live-sim report (backtest report + how the run ended).

    They are built aside and moved into out with their manifest last; out's journal stays.
    """
    engine = system.engine
    with building_run_dir(out, keep_foreign=True) as stage:
        write_run(engine, stage, effective, replay.meta, replay.path, mode=Mode.live_sim.value)
        report = build_backtest_report(
            stage, effective, engine.values(), DataSpan.of(replay.events)
        )
        report["mode"] = Mode.live_sim.value
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
    shadow = system.shadow
    assert shadow is not None, "a shadow report needs a shadow system"
    venue = {} if system.bridge is None else {"venue": system.bridge.summary()}
    return write_json(out / SHADOW_JSON, {
        "live": _live_payload(system, outcome),
        "mode": Mode.shadow.value,
        "ledger": _ledger_payload(system.engine),
        "shadow_orders_total": dict(shadow.sends),
        "values": system.engine.values(),
        **venue,
    })  # fmt: skip


def write_venue_report(out: Path, system: System, outcome: RunOutcome) -> Path:
    """Write canary.json (canary and live): refusals, ledger, how the run ended, the venue."""
    canary, bridge = system.canary, system.bridge
    assert canary is not None and bridge is not None, "a venue report needs a venue system"
    return write_json(out / CANARY_JSON, {
        "canary_refused_total": dict(canary.refused),
        "ledger": _ledger_payload(system.engine),
        "live": _live_payload(system, outcome),
        "mode": system.mode.value,
        "values": system.engine.values(),
        "venue": bridge.summary(),
    })  # fmt: skip
