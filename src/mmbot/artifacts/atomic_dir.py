"""Whole-folder commits: a folder is built aside, then moved into place by renames.

Theory of operation: the writer builds the new folder as a sibling of its target (same
parent, so every rename stays on one filesystem), named `.<name>.stage.<pid>.<seq>`. When it
is complete, replace_folder renames the old target (if any) to `.<name>.old.<pid>.<seq>`,
renames the stage to the target, fsyncs the parent, and only then removes the old folder.
A writer killed while building leaves the old target untouched; one killed between the two
renames leaves the old folder beside the stage. The next stage_folder in that parent puts
such an old folder back (when the target is missing) and removes the stages and old
folders of writers that are gone.

A target that also holds files the writer does not own (a live mode's journal) cannot be
swapped whole; move_files_into updates it in place instead: it removes the target's `last`
file first (readers treat its absence as "incomplete"), then the replaced files, moves the
stage's files in, and moves `last` in at the very end.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from mmbot.artifacts.atomic import fsync_dir, pid_alive

_ASIDE_RE: Final = re.compile(r"^\.(?P<name>.+)\.(?P<kind>stage|old)\.(?P<pid>\d+)\.(?P<seq>\d+)$")
_sequence = 0


def _aside(target: Path, kind: str) -> Path:
    global _sequence  # noqa: PLW0603 - per-process counter keeps names unique without RNG
    _sequence += 1
    return target.with_name(f".{target.name}.{kind}.{os.getpid()}.{_sequence}")


def _sweep_asides(target: Path) -> None:
    """Restore a dead writer's old folder when target is missing; remove its leftovers."""
    for entry in sorted(target.parent.iterdir()):
        match = _ASIDE_RE.match(entry.name)
        if match is None or match["name"] != target.name or pid_alive(int(match["pid"])):
            continue
        if match["kind"] == "old" and not target.exists():
            os.rename(entry, target)
            continue
        shutil.rmtree(entry, ignore_errors=True)


def stage_folder(target: Path) -> Path:
    """Return a new empty folder beside target to build its next contents in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_asides(target)
    stage = _aside(target, "stage")
    stage.mkdir()
    return stage


def discard_stage(stage: Path) -> None:
    """Remove a stage folder that will not be committed."""
    shutil.rmtree(stage, ignore_errors=True)


def replace_folder(stage: Path, target: Path) -> None:
    """Move the complete folder stage to target; an old target is removed only afterwards."""
    old = None
    if target.exists():
        old = _aside(target, "old")
        os.rename(target, old)
    try:
        os.rename(stage, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old)


def move_files_into(stage: Path, target: Path, replaced: Iterable[str], last: str) -> None:
    """Update target in place from stage's files; files of target not named stay.

    Order: target's `last` is removed, then the files named in replaced, then every stage
    file is moved in, `last` at the end (so `last` exists only over a complete update).
    """
    target.mkdir(parents=True, exist_ok=True)
    for name in (last, *replaced):
        with contextlib.suppress(FileNotFoundError):
            (target / name).unlink()
    fsync_dir(target)
    for entry in sorted(stage.iterdir(), key=lambda path: path.name == last):
        os.replace(entry, target / entry.name)
    fsync_dir(target)
    stage.rmdir()
