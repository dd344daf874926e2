"""The two HTTP APIs the RC validator reads: Prometheus' instant query (/api/v1/query) and
Alertmanager's alert list (/api/v2/alerts). urllib only; every failure is one E_* line."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NamedTuple

from mmbot.release.checks import ReleaseError


class Series(NamedTuple):
    """One series of a query's answer: its labels and its value."""

    labels: dict[str, str]
    value: float


def _get_json(url: str, timeout_s: float, code: str) -> Any:
    """Return the JSON document at url; `code` names the failure (unreachable, not JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # Prometheus says what is wrong in the error's body
        body = exc.read()
        if not body.lstrip().startswith(b"{"):
            raise ReleaseError(code, f"url={url} answered HTTP {exc.code}") from None
    except OSError as exc:  # URLError (refused, unknown host), timeout
        raise ReleaseError(code, f"url={url} unreachable: {exc}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise ReleaseError(code, f"url={url} answered no JSON") from None


def instant_query(base_url: str, expr: str, at_s: int, timeout_s: float) -> list[Series]:
    """Return every series expr gives at at_s, seconds since the epoch (a scalar: one)."""
    query = urllib.parse.urlencode({"query": expr, "time": str(at_s)})
    url = f"{base_url.rstrip('/')}/api/v1/query?{query}"
    document = _get_json(url, timeout_s, "E_RC_QUERY")
    if not isinstance(document, dict) or document.get("status") != "success":
        error = document.get("error") if isinstance(document, dict) else None
        raise ReleaseError("E_RC_QUERY", f"query={expr} prometheus said: {error or document}")
    data = document["data"]
    if data["resultType"] == "scalar":
        return [Series({}, float(data["result"][1]))]
    if data["resultType"] != "vector":
        raise ReleaseError("E_RC_QUERY", f"query={expr} gave a {data['resultType']}, not a vector")
    return [Series(dict(item["metric"]), float(item["value"][1])) for item in data["result"]]


def firing_alerts(alertmanager_url: str, timeout_s: float) -> list[str]:
    """Return the sorted names of the alerts Alertmanager holds active, neither silenced nor
    inhibited (what `amtool alert` lists as firing)."""
    query = urllib.parse.urlencode({"active": "true", "silenced": "false", "inhibited": "false"})
    url = f"{alertmanager_url.rstrip('/')}/api/v2/alerts?{query}"
    document = _get_json(url, timeout_s, "E_RC_ALERTMANAGER")
    if not isinstance(document, list):
        raise ReleaseError("E_RC_ALERTMANAGER", f"url={url} answered no alert list")
    return sorted(
        str(alert.get("labels", {}).get("alertname", "<unnamed>"))
        for alert in document
        if alert.get("status", {}).get("state") == "active"
    )
