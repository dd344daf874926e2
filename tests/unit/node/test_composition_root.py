"""One composition root: only mmbot.node constructs engines, venue ports, their wrappers and the
runner, and nothing anywhere rewires a built engine's venue (an AST scan of the tree)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SRC = REPO_ROOT / "src" / "mmbot"
NODE = SRC / "node"
# What a mode is made of: built by the composition root alone.
COMPOSED = frozenset({
    "Engine", "SimVenuePort", "ShadowVenue", "JournalingVenue", "CanaryVenue", "LiveBridge",
    "CcxtVenue", "CcxtFeed", "LiveRunner", "KillSwitchFile",
})  # fmt: skip


def _venue_rewirings(source: str) -> list[int]:
    """Return the lines that assign a `venue` attribute of anything but self."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = (
            node.targets if isinstance(node, ast.Assign)
            else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        )  # fmt: skip
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "venue"
                and not (isinstance(target.value, ast.Name) and target.value.id == "self")
            ):
                lines.append(target.lineno)
    return lines


def _constructions(source: str) -> list[tuple[int, str]]:
    """Return (line, class) of every call of a COMPOSED class by name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in COMPOSED:
                found.append((node.lineno, name))
    return found


def _python_files(*roots: Path) -> list[Path]:
    return sorted(path for root in roots for path in root.rglob("*.py"))


def test_scanners_find_a_planted_rewiring_and_construction() -> None:
    planted = "engine.venue = JournalingVenue(engine.venue, j, 's')\nself.venue = port\n"
    assert _venue_rewirings(planted) == [1]
    assert _constructions(planted) == [(1, "JournalingVenue")]
    assert _venue_rewirings("system.engine.venue: object = x\n") == [1]


def test_no_engine_venue_is_reassigned_in_src_tests_or_benchmarks() -> None:
    roots = (SRC, REPO_ROOT / "tests", REPO_ROOT / "benchmarks")
    offenders = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in _python_files(*roots)
        if (lines := _venue_rewirings(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "build the engine over its final port through mmbot.node"


def test_only_the_composition_root_constructs_engines_ports_wrappers_and_runners() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): found
        for path in _python_files(SRC)
        if not path.is_relative_to(NODE)
        and (found := _constructions(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    assert _constructions((NODE / "systems.py").read_text(encoding="utf-8"))  # scanned for real
