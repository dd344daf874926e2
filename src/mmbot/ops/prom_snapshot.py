"""The Prometheus targets snapshot of a canary: /api/v1/targets as canonical JSON.

Canonical (ASCII, keys sorted, compact, one final LF) so the archive that packs it and the
daily check that inspects it see one stable form of what Prometheus answered.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Final

from mmbot.artifacts import canonical_json_bytes
from mmbot.ops.errors import OpsError

TARGETS_PATH: Final = "/api/v1/targets"
TIMEOUT_S: Final = 10.0


def targets_url(prom_url: str) -> str:
    """Return the targets endpoint of the Prometheus at prom_url (http://host:port[/prefix])."""
    return prom_url.rstrip("/") + TARGETS_PATH


def fetch_targets(prom_url: str) -> dict[str, object]:
    """Return Prometheus' targets document; E_OPS_PROM_HTTP unless it answers a JSON object
    with status success."""
    url = targets_url(prom_url)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            document = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OpsError("E_OPS_PROM_HTTP", f"url={url} {type(exc).__name__}: {exc}; is "
                       "Prometheus up at --prom?") from None  # fmt: skip
    if not isinstance(document, dict) or document.get("status") != "success":
        raise OpsError("E_OPS_PROM_HTTP", f"url={url} answered without status=success")
    return document


def snapshot_bytes(document: dict[str, object]) -> bytes:
    """Return the snapshot file's bytes of a targets document."""
    return canonical_json_bytes(document, where="prom snapshot")


def target_health(document: dict[str, object]) -> dict[str, int]:
    """Return how many active targets are in each health state (up, down, unknown)."""
    data = document.get("data")
    active = data.get("activeTargets") if isinstance(data, dict) else None
    counts: dict[str, int] = {}
    for target in active if isinstance(active, list) else []:
        health = str(target.get("health")) if isinstance(target, dict) else "unknown"
        counts[health] = counts.get(health, 0) + 1
    return dict(sorted(counts.items()))
