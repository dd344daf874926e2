"""REGION_COMPARE.json/.md on disk: build them from their inputs, write them, and check that
a written REGION_COMPARE.json is what its recorded inputs give again (byte for byte)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mmbot.artifacts import atomic_write_bytes, canonical_json_bytes, write_text
from mmbot.core.errors import MmError
from mmbot.regions.compare import (
    COMPARE_JSON,
    COMPARE_MD,
    CompareSources,
    compare_document,
    render_compare_md,
)
from mmbot.regions.config import load_regions
from mmbot.regions.plan import ABSENT, CompareFacts
from mmbot.regions.runs import read_region_runs
from mmbot.regions.timing import parse_utc


@dataclass(frozen=True, slots=True)
class CompareArtifacts:
    """A comparison: its document, the bytes of REGION_COMPARE.json and the Markdown."""

    document: dict[str, object]
    json_bytes: bytes
    markdown: str

    @property
    def winner(self) -> str | None:
        """Return the winning region's name, or None when no region is eligible."""
        winner = self.document["winner"]
        return winner if isinstance(winner, str) else None


def build_compare(runs_dir: Path, config_path: Path, generated_ns: int) -> CompareArtifacts:
    """Return the comparison of the runs under runs_dir against the regions config.

    The paths are recorded as given (relative ones stay relative), so the same command in
    the same checkout writes the same bytes wherever the checkout is.
    """
    loaded = load_regions(config_path)
    names = tuple(region.name for region in loaded.config.regions)
    runs = read_region_runs(runs_dir, names)
    sources = CompareSources(config_path.as_posix(), loaded.sha256, runs_dir.as_posix())
    document = compare_document(loaded.config, runs, sources, generated_ns)
    json_bytes = canonical_json_bytes(document, where=COMPARE_JSON)
    return CompareArtifacts(document, json_bytes, render_compare_md(document))


def write_compare(out: Path, compare: CompareArtifacts) -> tuple[Path, Path]:
    """Write REGION_COMPARE.md, then REGION_COMPARE.json (the file rollout checks) into out."""
    markdown = write_text(out / COMPARE_MD, compare.markdown)
    return atomic_write_bytes(out / COMPARE_JSON, compare.json_bytes), markdown


@dataclass(frozen=True, slots=True)
class CompareCheck:
    """What rollout learned from a REGION_COMPARE.json, and why it does not reproduce."""

    facts: CompareFacts
    problem: str | None


def check_compare(path: Path) -> CompareCheck:
    """Read the REGION_COMPARE.json at path and recompute it from the inputs it records (at
    its own generated_utc); nothing is written. Missing: ABSENT."""
    if not path.is_file():
        return CompareCheck(ABSENT, f"{path} does not exist; run mmbot region compare")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        document = json.loads(data)
        inputs = document["inputs"]
        generated_ns = parse_utc(document["generated_utc"])
        runs_dir, config_path = Path(inputs["runs"]), Path(inputs["config"])
        winner = document["winner"]
    except (ValueError, TypeError, KeyError):
        broken = CompareFacts(present=True, sha256=sha256)
        return CompareCheck(broken, f"{path} is not a REGION_COMPARE.json")
    facts = CompareFacts(
        True,
        sha256,
        generated_ns,
        reproduces=False,
        winner=winner if isinstance(winner, str) else None,
    )
    if generated_ns is None:
        return CompareCheck(facts, f"{path} has no generated_utc")
    try:
        again = build_compare(runs_dir, config_path, generated_ns)
    except MmError as exc:
        return CompareCheck(facts, f"its inputs no longer give a comparison: {exc.line()}")
    if again.json_bytes != data:
        return CompareCheck(facts, f"{path} differs from what its inputs give; rerun compare")
    return CompareCheck(dataclasses.replace(facts, reproduces=True), None)
