"""The release and ops artifacts of a day, by name: what the canary archive packs, the daily
check inspects and the daily snapshot copies (docs/OPS.md, "Files")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from mmbot.ops.errors import OpsError

ARTIFACTS_DIR: Final = Path("artifacts")
METRICS_JSON: Final = "metrics.json"  # mmbot metrics dump
RC_VALIDATOR_JSON: Final = "rc_validator.json"  # mmbot rc validate
PROM_SNAPSHOT_JSON: Final = "prom_snapshot.json"  # mmbot canary snapshot
REPORT_CANARY_MD: Final = "REPORT_CANARY.md"  # mmbot canary report
SOAK_REPORT_JSON: Final = "soak_report.json"  # mmbot soak report
SOAK_REPORT_MD: Final = "SOAK_REPORT.md"  # mmbot soak report

CANARY_ARCHIVE_FILES: Final = (METRICS_JSON, RC_VALIDATOR_JSON, PROM_SNAPSHOT_JSON,
                               REPORT_CANARY_MD)  # fmt: skip
DAILY_FILES: Final = (*CANARY_ARCHIVE_FILES, SOAK_REPORT_JSON, SOAK_REPORT_MD)

# The command that writes each file, named in the error that refuses a missing one.
_MADE_BY: Final = {
    METRICS_JSON: "mmbot metrics dump --run DIR",
    RC_VALIDATOR_JSON: "mmbot rc validate --prom URL",
    PROM_SNAPSHOT_JSON: "mmbot canary snapshot --prom URL",
    REPORT_CANARY_MD: "mmbot canary report --run DIR",
    SOAK_REPORT_JSON: "mmbot soak report --day YYYY-MM-DD --runs DIR",
    SOAK_REPORT_MD: "mmbot soak report --day YYYY-MM-DD --runs DIR",
}


def made_by(name: str) -> str:
    """Return the command that writes the artifact name."""
    return _MADE_BY[name]


def required_files(folder: Path, names: Sequence[str], step: str) -> dict[str, Path]:
    """Return name -> path of every named file in folder; refuse with one E_OPS_MISSING_ARTIFACT
    line naming each missing file and the command that makes it (step: what was refused)."""
    paths = {name: folder / name for name in names}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        how = "; ".join(f"{folder / name} ({made_by(name)})" for name in missing)
        raise OpsError("E_OPS_MISSING_ARTIFACT", f"{step} refused, nothing written: missing {how}")
    return paths
