"""ccxt.pro's binanceusdm with three hooks the adapter needs, and loopback URL rewriting.

The hooks see every raw user-stream ORDER_TRADE_UPDATE and bookTicker message (ccxt's own
caches keep only the newest state per order, and fills must be seen one by one, duplicates
included, so the journal can dedup them), and every REST response's headers (Retry-After on
a 429, the venue's used-weight count).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt.pro as ccxtpro  # type: ignore[import-untyped]
from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.venues.ccxt.dialect import header

__all__ = ["BinanceUsdm", "loopback_urls"]

_REST_KEYS = ("fapiPublic", "fapiPublicV2", "fapiPublicV3",
              "fapiPrivate", "fapiPrivateV2", "fapiPrivateV3")  # fmt: skip


def loopback_urls(rest_base: str, ws_base: str, urls: dict[str, Any]) -> dict[str, Any]:
    """Return urls['api'] entries pointing the USD-M endpoints at rest_base / ws_base."""
    out: dict[str, Any] = {}
    for key in _REST_KEYS:
        version = "v1" if key[-2] != "V" else key[-2:].lower()
        out[key] = f"{rest_base.rstrip('/')}/fapi/{version}"
    ws = dict(urls["api"]["ws"])
    ws["linear"] = f"{ws_base.rstrip('/')}/ws"
    out["ws"] = ws
    return out


class BinanceUsdm(ccxtpro.binanceusdm):  # type: ignore[misc]
    """binanceusdm that reports raw user-stream and book messages and response headers."""

    mm_on_user_update: Callable[[dict[str, Any]], None] | None = None
    mm_on_book: Callable[[dict[str, Any]], None] | None = None
    mm_on_headers: Callable[[dict[str, str], str], None] | None = None

    def handle_order_update(self, client: Any, message: dict[str, Any]) -> None:
        """See each ORDER_TRADE_UPDATE before ccxt folds it into its caches."""
        if self.mm_on_user_update is not None:
            self.mm_on_user_update(message)
        super().handle_order_update(client, message)

    def handle_bids_asks(self, client: Any, message: dict[str, Any]) -> None:
        """See each bookTicker message."""
        if self.mm_on_book is not None:
            self.mm_on_book(message)
        super().handle_bids_asks(client, message)

    def handle_errors(self, code: int, reason: str, url: str, method: str,
                      headers: dict[str, str], body: str, response: Any,
                      request_headers: Any, request_body: Any) -> Any:  # fmt: skip
        """Read headers of every response; a 429/418 carries its Retry-After."""
        if self.mm_on_headers is not None and headers:
            self.mm_on_headers(headers, url)
        if code in (418, 429):
            error = cx.RateLimitExceeded(f"{self.id} {code} {reason}")
            error.retry_after_s = float(header(headers or {}, "retry-after") or 1.0)
            raise error
        return super().handle_errors(code, reason, url, method, headers, body, response,
                                     request_headers, request_body)  # fmt: skip
