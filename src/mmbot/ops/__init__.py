"""Operations: the canary report, snapshot and archive; soak sessions, their incidents and the
daily soak report; the daily check and the daily snapshot (docs/OPS.md).

- canary_report.py: REPORT_CANARY.md from a run's metrics, edge audit and canary.json.
- prom_snapshot.py, canary_archive.py: the Prometheus targets snapshot; the canary tar.gz.
- soak.py, incidents.py: a soak session run and recorded; its incidents, S0-S3.
- soak_report.py, soak_verdict.py: the day's sessions summed up; OK / WARN / FAIL.
- daily_check.py, snapshot.py, daily_files.py: the day's artifacts checked and copied.
"""

from mmbot.ops.canary_archive import archive_name, write_canary_archive
from mmbot.ops.canary_report import Check, canary_checks, read_run_metrics, render_canary_report
from mmbot.ops.daily_check import ArtifactCheck, check_artifact, check_artifacts
from mmbot.ops.daily_files import (
    ARTIFACTS_DIR,
    CANARY_ARCHIVE_FILES,
    DAILY_FILES,
    METRICS_JSON,
    PROM_SNAPSHOT_JSON,
    RC_VALIDATOR_JSON,
    REPORT_CANARY_MD,
    SOAK_REPORT_JSON,
    SOAK_REPORT_MD,
)
from mmbot.ops.errors import OpsError
from mmbot.ops.incidents import Incident, RunEvidence, Severity, classify
from mmbot.ops.prom_snapshot import fetch_targets, snapshot_bytes, target_health
from mmbot.ops.snapshot import MANIFEST, snapshot_folder, write_daily_snapshot
from mmbot.ops.soak import INCIDENTS_JSONL, SOAK_JSON, SoakSession, run_soak
from mmbot.ops.soak_report import build_soak_report, write_soak_report
from mmbot.ops.soak_verdict import SOAK_LIMITS, Limit, Verdict, judge

__all__ = [
    "ARTIFACTS_DIR",
    "CANARY_ARCHIVE_FILES",
    "DAILY_FILES",
    "INCIDENTS_JSONL",
    "MANIFEST",
    "METRICS_JSON",
    "PROM_SNAPSHOT_JSON",
    "RC_VALIDATOR_JSON",
    "REPORT_CANARY_MD",
    "SOAK_JSON",
    "SOAK_LIMITS",
    "SOAK_REPORT_JSON",
    "SOAK_REPORT_MD",
    "ArtifactCheck",
    "Check",
    "Incident",
    "Limit",
    "OpsError",
    "RunEvidence",
    "Severity",
    "SoakSession",
    "Verdict",
    "archive_name",
    "build_soak_report",
    "canary_checks",
    "check_artifact",
    "check_artifacts",
    "classify",
    "fetch_targets",
    "judge",
    "read_run_metrics",
    "render_canary_report",
    "run_soak",
    "snapshot_bytes",
    "snapshot_folder",
    "target_health",
    "write_canary_archive",
    "write_daily_snapshot",
    "write_soak_report",
]
