"""The canary archive: `dist/canary_<YYYYMMDDTHHMMSSZ>.tar.gz` of the canary's four artifacts.

Deterministic for the same files and the same time: the writer sorts the members and fixes
their metadata (mtime, uid/gid, mode) and gzip's mtime (mmbot.artifacts.archive). A missing
member refuses the archive (one E_OPS_MISSING_ARTIFACT line naming each missing file and the
command that makes it): an archive without the RC validation is no record of a release.
"""

from __future__ import annotations

from pathlib import Path

from mmbot.artifacts import utc_iso, write_tar_gz_of_files
from mmbot.ops.daily_files import CANARY_ARCHIVE_FILES, required_files


def archive_name(now_ns: int) -> str:
    """Return the archive's file name at now_ns: canary_<YYYYMMDDTHHMMSSZ>.tar.gz."""
    compact = utc_iso(now_ns).replace("-", "").replace(":", "")
    return f"canary_{compact}.tar.gz"


def write_canary_archive(artifacts: Path, dist: Path, now_ns: int) -> Path:
    """Write the archive of the canary files in artifacts into dist; return its path."""
    files = required_files(artifacts, CANARY_ARCHIVE_FILES, "canary archive")
    return write_tar_gz_of_files(dist / archive_name(now_ns), files)
