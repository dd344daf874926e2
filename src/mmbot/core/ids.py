"""Limits of client order ids shared by the engine (which numbers orders) and the venues
(which spell the numbers into the ids they send)."""

from __future__ import annotations

from typing import Final

MAX_CLIENT_ID_LEN: Final = 36  # Binance newClientOrderId and Bybit orderLinkId both allow 36
# 10 base-36 digits: 16 (strategy tag) + 1 + 10 + 1 + 8 (intent digest) = 36 characters.
MAX_CLIENT_SEQ: Final = 36**10 - 1
