"""Are the goldens the ones last validated? tools/golden_manifest.py --check says.

tests/golden/MANIFEST records each golden's sha256 when it was last regenerated on purpose
(`make golden`); the tool is the one reader of that format, so go-nogo runs it rather than
parse the manifest a second time. Goldens live only in a checkout, as the tool does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

from mmbot.release.checks import ReleaseError

MANIFEST_TOOL: Final = Path("tools") / "golden_manifest.py"
GOLDEN_DIR: Final = Path("tests") / "golden"
_TIMEOUT_S: Final = 60.0


def golden_problems(repo: Path) -> list[str]:
    """Return one E_* line per golden that differs from MANIFEST (none: all unchanged)."""
    tool = repo / MANIFEST_TOOL
    if not tool.is_file():
        missing = ReleaseError("E_GONOGO_GOLDENS", f"file={tool} missing: goldens unchecked")
        return [missing.line()]
    result = subprocess.run(
        [sys.executable, str(tool), "--check", "--golden-dir", str(repo / GOLDEN_DIR)],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if result.returncode == 0:
        return []
    lines = [line for line in result.stdout.splitlines() if line.startswith("E_")]
    if lines:
        return lines
    said = (result.stderr.strip().splitlines() or ["no output"])[-1]
    return [ReleaseError("E_GONOGO_GOLDENS", f"{tool} exit {result.returncode}: {said}").line()]
