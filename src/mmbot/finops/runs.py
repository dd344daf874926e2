"""The run directories behind a FinOps or investor command: `--runs DIR` is one run directory
or a folder of them (one per day, per book, per session).

A run directory is a folder with a manifest.json (docs/RUN_DIRECTORY.md); each is read and
verified by the edge audit's reader, so a half-written or mixed directory stops the command
with its E_RUN_INCOMPLETE / E_AUDIT_* line rather than entering the books.
"""

from __future__ import annotations

from pathlib import Path

from mmbot.core.errors import AuditError
from mmbot.engine.rundir_commit import MANIFEST
from mmbot.engine.rundir_read import RunData, read_run_dir


def _is_run_dir(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def find_run_dirs(folder: Path) -> list[Path]:
    """Return [folder] when it is a run directory, else the run directories directly inside
    it, sorted by name; E_FINOPS_NO_RUNS when there is none."""
    if _is_run_dir(folder):
        return [folder]
    inside = sorted(folder.iterdir()) if folder.is_dir() else []
    found = [entry for entry in inside if _is_run_dir(entry)]
    if not found:
        raise AuditError(
            "E_FINOPS_NO_RUNS",
            f"--runs {folder} is not a run directory and holds none (a run directory has "
            f"{MANIFEST}); point --runs at a run's --out or at the folder holding several",
        )
    return found


def load_runs(folder: Path) -> list[tuple[str, RunData]]:
    """Return (name, contents) of every run directory find_run_dirs finds, each verified
    and typed by the edge audit's reader; the name is the directory's."""
    return [(path.name, read_run_dir(path)) for path in find_run_dirs(folder)]
