#!/usr/bin/env bash
# Daily snapshot of the day's artifacts: dist/snapshots/<YYYYMMDD>_Z/ with a sha256 manifest
# (docs/OPS.md). Runs `mmbot ops snapshot` with the arguments given, e.g.
#   tools/ops/snapshot.sh --artifacts artifacts --dist dist
# The mmbot run: $MMBOT when set, else `mmbot` on the PATH, else this repository's .venv.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -n "${MMBOT:-}" ]]; then
    mmbot="$MMBOT"
elif command -v mmbot >/dev/null 2>&1; then
    mmbot="mmbot"
else
    mmbot="$repo_root/.venv/bin/mmbot"
fi
exec "$mmbot" ops snapshot "$@"
