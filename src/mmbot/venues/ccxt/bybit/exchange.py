"""ccxt.pro's bybit with the hooks the adapter needs, rate-limit mapping and loopback URLs.

The hooks see every raw private `order` / `execution` message and every `orderbook.1`
message before ccxt folds them into its caches, and every REST response's headers with its
URL (Bybit's per-endpoint X-Bapi-Limit / X-Bapi-Limit-Status). A refusal for rate (HTTP
403/429, or retCode 10006 "Too many visits") becomes RateLimitExceeded carrying
`retry_after_s`: the Retry-After header when present, else X-Bapi-Limit-Reset-Timestamp
minus the venue's Timenow header (both venue clock, so local clock skew does not matter).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import ccxt.pro as ccxtpro  # type: ignore[import-untyped]
from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.venues.ccxt.dialect import header

__all__ = ["BybitLinear", "loopback_urls"]

_REST_KEYS = ("spot", "futures", "v2", "public", "private")
RATE_LIMIT_CODE = 10006


def loopback_urls(rest_base: str, ws_base: str, urls: dict[str, Any]) -> dict[str, Any]:
    """Return urls['api'] entries pointing the v5 REST and linear WS at rest_base / ws_base."""
    out: dict[str, Any] = dict.fromkeys(_REST_KEYS, rest_base.rstrip("/"))
    ws = {kind: dict(value) for kind, value in urls["api"]["ws"].items()}
    ws["public"]["linear"] = f"{ws_base.rstrip('/')}/v5/public/linear"
    ws["private"]["contract"] = f"{ws_base.rstrip('/')}/v5/private"
    ws["private"]["unified"] = f"{ws_base.rstrip('/')}/v5/private"
    out["ws"] = ws
    return out


def retry_after_s(headers: dict[str, str]) -> float:
    """Return how long a rate-limited request must wait, from Bybit's headers."""
    explicit = header(headers, "retry-after")
    if explicit is not None:
        return float(explicit)
    reset_ms = header(headers, "x-bapi-limit-reset-timestamp")
    now_ms = header(headers, "timenow")
    if reset_ms is not None and now_ms is not None:
        return max(0.0, (int(reset_ms) - int(now_ms)) / 1000)
    return 1.0


class BybitLinear(ccxtpro.bybit):  # type: ignore[misc]
    """bybit that reports raw private/book messages and response headers."""

    mm_on_user_update: Callable[[dict[str, Any]], None] | None = None
    mm_on_book: Callable[[dict[str, Any]], None] | None = None
    mm_on_headers: Callable[[dict[str, str], str], None] | None = None

    def handle_order(self, client: Any, message: dict[str, Any]) -> None:
        """See each `order` message before ccxt folds it into its caches."""
        if self.mm_on_user_update is not None:
            self.mm_on_user_update(message)
        super().handle_order(client, message)

    def handle_my_trades(self, client: Any, message: dict[str, Any]) -> None:
        """See each `execution` message (one row per fill, with execId)."""
        if self.mm_on_user_update is not None:
            self.mm_on_user_update(message)
        super().handle_my_trades(client, message)

    def handle_order_book(self, client: Any, message: dict[str, Any]) -> None:
        """See each orderbook message."""
        if self.mm_on_book is not None:
            self.mm_on_book(message)
        super().handle_order_book(client, message)

    def handle_errors(self, code: int, reason: str, url: str, method: str,
                      headers: dict[str, str], body: str, response: Any,
                      request_headers: Any, request_body: Any) -> Any:  # fmt: skip
        """Read headers of every response; map the venue's rate-limit refusals."""
        headers = headers or {}
        if self.mm_on_headers is not None and headers:
            self.mm_on_headers(headers, url)
        ret_code = _ret_code(response, body)
        if code in (403, 429) or ret_code == RATE_LIMIT_CODE:
            error = cx.RateLimitExceeded(f"{self.id} {code} retCode={ret_code} {reason}")
            error.retry_after_s = retry_after_s(headers)
            raise error
        return super().handle_errors(code, reason, url, method, headers, body, response,
                                     request_headers, request_body)  # fmt: skip


def _ret_code(response: Any, body: str) -> int | None:
    if not isinstance(response, dict):
        try:
            response = json.loads(body) if body else None
        except ValueError:
            return None
    if isinstance(response, dict) and response.get("retCode") is not None:
        return int(response["retCode"])
    return None
