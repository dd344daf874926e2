"""Lint: no JSON serialisation under src/ outside the deterministic writer (mmbot.artifacts).

Flags json.dump/json.dumps, `from json import dump(s)` and other JSON encoders (orjson,
ujson, simplejson). Usage: python tools/ci/check_deterministic_json.py [ROOT ...]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.ci._scan import Violation, dotted_name, run

EXCLUDE = ("mmbot/artifacts/",)
ENCODER_MODULES = {"json", "orjson", "ujson", "simplejson", "rapidjson"}
ENCODER_NAMES = {"dump", "dumps"}


def check(path: Path, tree: ast.Module) -> list[Violation]:
    """Return JSON encoder uses in tree."""
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Call):
            module, _, func = dotted_name(node.func).rpartition(".")
            if module in ENCODER_MODULES and func in ENCODER_NAMES:
                what = f"{module}.{func}()"
        elif isinstance(node, ast.ImportFrom) and node.module in ENCODER_MODULES:
            names = sorted(alias.name for alias in node.names if alias.name in ENCODER_NAMES)
            what = f"from {node.module} import {', '.join(names)}" if names else None
        if what is not None:
            found.append(
                Violation(
                    path.as_posix(),
                    node.lineno,
                    f"{what}: serialise through mmbot.artifacts (canonical JSON)",
                )
            )
    return found


def main(argv: list[str]) -> int:
    """Scan the roots in argv; return 1 when JSON is encoded outside the writer."""
    return run(check, argv, EXCLUDE, "deterministic JSON lint")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
