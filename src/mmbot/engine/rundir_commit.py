"""Committing a run directory whole: built aside, sealed by a manifest, moved into place.

Theory of operation: a run writes its directory into a fresh stage folder beside --out
(building_run_dir). When everything is written, manifest.json - every file's name and
sha256 - is written last (seal_run_dir) and the stage replaces --out whole, so a rerun
killed midway leaves the previous directory as it was, and no file of an earlier run
survives a finished one. Readers verify the manifest (rundir_read): a directory without
one, or with a file that differs from its entry (a mix of two runs), is E_RUN_INCOMPLETE.

A live mode's --out also holds its journal, which outlives sessions and must never be
swapped away: there (keep_foreign=True) the stage's files are moved into --out instead,
the old manifest removed first and the new one moved in last. Tools that add files to a
committed directory (the edge audit) go through updating_run_dir, which keeps the manifest
true at every step.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from mmbot.artifacts import (
    discard_stage,
    move_files_into,
    replace_folder,
    stage_folder,
    write_json,
)
from mmbot.core.errors import AuditError, UsageError

MANIFEST: Final = "manifest.json"
# Every file an mmbot run or report writes into a run directory. A rerun replaces these
# (and whatever the old manifest lists); any other file in --out was not ours to delete.
RUN_DIR_FILES: Final = frozenset({
    "fills.csv", "orders.csv", "mids.csv", "risk_records.csv", "risk_denials.csv", "run.json",
    MANIFEST,
    "backtest.json", "BACKTEST.md", "live_sim.json", "LIVE_SIM.md",
    "edge_audit.json", "EDGE_AUDIT.md", "equity.svg", "inventory.svg", "waterfall.svg",
})  # fmt: skip


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _incomplete(folder: Path, what: str) -> AuditError:
    return AuditError(
        "E_RUN_INCOMPLETE",
        f"dir={folder} {what}; rerun the command that wrote it (a run directory is complete "
        f"only with {MANIFEST}, written last)",
    )


def read_manifest(folder: Path) -> dict[str, str]:
    """Return the manifest of a run directory: file name -> sha256 (E_RUN_INCOMPLETE if none)."""
    path = folder / MANIFEST
    try:
        files = json.loads(path.read_text(encoding="ascii"))["files"]
    except FileNotFoundError:
        raise _incomplete(folder, f"has no {MANIFEST}: its run did not finish") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise _incomplete(folder, f"has an unreadable {MANIFEST}") from None
    if not isinstance(files, dict):
        raise _incomplete(folder, f"has an unreadable {MANIFEST}")
    return {str(name): str(sha) for name, sha in files.items()}


def _write_manifest(folder: Path, files: dict[str, str]) -> None:
    write_json(folder / MANIFEST, {"files": dict(sorted(files.items()))})


def seal_run_dir(folder: Path) -> None:
    """Write folder's manifest over every file in it (hidden temp files excepted)."""
    names = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.is_file() and entry.name != MANIFEST and not entry.name.startswith(".")
    )
    _write_manifest(folder, {name: file_sha256(folder / name) for name in names})


def _ours(entry: Path, listed: Collection[str]) -> bool:
    """Whether a run wrote entry: a run-directory file, or an atomic writer's leftover temp."""
    if not entry.is_file():
        return False
    return entry.name in RUN_DIR_FILES or entry.name in listed or entry.name.endswith(".tmp")


def _listed(folder: Path) -> set[str]:
    """Return the names the manifest of folder lists (none when it has no valid manifest)."""
    try:
        return set(read_manifest(folder))
    except AuditError:
        return set()


def check_out_dir(out: Path, keep_foreign: bool = False) -> None:
    """Refuse an --out that is a file, or (unless keep_foreign) that holds files of no run."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            "E_RUN_OUT_NOT_DIR",
            f"--out {out} is a file; give a folder (new, empty or an earlier run directory)",
        )
    if keep_foreign or not out.is_dir():
        return
    listed = _listed(out)
    foreign = sorted(entry.name for entry in out.iterdir() if not _ours(entry, listed))
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise UsageError(
            "E_RUN_OUT_FOREIGN",
            f"--out {out} holds {foreign[0]}{more}, which no mmbot run wrote; a rerun replaces "
            "the folder whole: give a new or empty folder, or move that away",
        )


@contextmanager
def building_run_dir(out: Path, keep_foreign: bool = False) -> Iterator[Path]:
    """Yield an empty folder beside out to write a run directory in; when the block ends
    without an error, seal it and commit it at out.

    keep_foreign=False (backtest, demo): out is replaced whole; it must be new, empty or an
    earlier run directory. keep_foreign=True (live-sim, whose --out also holds its journal):
    the run-directory files of out are replaced and every other file stays.
    """
    check_out_dir(out, keep_foreign)
    out = Path(os.path.abspath(out))  # a rename needs a parent: `--out .` has none
    stage = stage_folder(out)
    try:
        yield stage
        seal_run_dir(stage)
        if keep_foreign:
            move_files_into(stage, out, sorted(RUN_DIR_FILES | _listed(out)), MANIFEST)
        else:
            check_out_dir(out)
            replace_folder(stage, out)
    except BaseException:
        discard_stage(stage)
        raise


@contextmanager
def updating_run_dir(folder: Path, names: Collection[str]) -> Iterator[None]:
    """Let the block (re)write the named files of a committed run directory; keep its
    manifest true throughout: their entries are dropped first and added back at the end."""
    files = {name: sha for name, sha in read_manifest(folder).items() if name not in names}
    _write_manifest(folder, files)
    yield
    files.update({name: file_sha256(folder / name) for name in names})
    _write_manifest(folder, files)
