"""Lint: every file write under src/ goes through mmbot.artifacts (atomic, deterministic).

Reports open() in a writing mode, Path.write_text/write_bytes, json.dump, shutil copies,
os.open with write flags, and the writers of numpy/polars/pyarrow/matplotlib, anywhere
outside src/mmbot/artifacts/. Usage: python tools/ci/check_atomic_writer.py [ROOT ...]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.ci._scan import Violation, dotted_name, run

EXCLUDE = ("mmbot/artifacts/",)
PRAGMA = "# atomic-writer: in-memory"
WRITE_MODE_CHARS = set("wax+")
# Method names that write a file whatever object they are called on.
WRITER_METHODS = {
    "write_text",
    "write_bytes",
    "write_parquet",
    "to_parquet",
    "to_csv",
    "write_ipc",
    "write_ndjson",
    "savefig",
    "tofile",
    "write_table",
    "write_to_dataset",
    "sink_parquet",
    "sink_csv",
}
# Fully dotted callables that write files.
WRITER_FUNCTIONS = {
    "json.dump",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.move",
    "os.rename",
    "os.replace",
    "np.save",
    "np.savez",
    "np.savetxt",
    "numpy.save",
    "numpy.savez",
    "numpy.savetxt",
    "pq.write_table",
    "tarfile.open",
}


def _mode_of(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "mode":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _open_writes(call: ast.Call, position: int) -> str | None:
    mode = _mode_of(call, position)
    if mode is None:
        return None
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return f"mode {mode.value!r}" if WRITE_MODE_CHARS & set(mode.value) else None
    return "mode not a literal"


def _classify(call: ast.Call) -> str | None:
    name = dotted_name(call.func)
    if name in ("open", "io.open", "builtins.open", "gzip.open"):
        return _open_writes(call, 1)
    if name == "os.open":
        flags = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
        return f"os.open({flags})" if any(f in flags for f in ("WRONLY", "RDWR", "CREAT")) else None
    if isinstance(call.func, ast.Attribute):
        if call.func.attr == "open":  # Path.open(...)
            return _open_writes(call, 0)
        if call.func.attr in WRITER_METHODS:
            return f".{call.func.attr}()"
    return f"{name}()" if name in WRITER_FUNCTIONS else None


def check(path: Path, tree: ast.Module) -> list[Violation]:
    """Return the file writes in tree that bypass mmbot.artifacts.

    A call into an in-memory buffer (e.g. savefig into io.BytesIO) is exempt when its line
    carries the pragma `# atomic-writer: in-memory`.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or PRAGMA in lines[node.lineno - 1]:
            continue
        if (what := _classify(node)) is not None:
            found.append(
                Violation(
                    path.as_posix(), node.lineno, f"file write {what} outside mmbot.artifacts"
                )
            )
    return found


def main(argv: list[str]) -> int:
    """Scan the roots in argv; return 1 when a write bypasses the artifact writer."""
    return run(check, argv, EXCLUDE, "atomic writer lint")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
