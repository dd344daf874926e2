"""API credentials from the environment; never printed, logged or put in an error.

`MM_<VENUE>_API_KEY` and `MM_<VENUE>_API_SECRET` (VENUE = BINANCE, BYBIT). The values live
only in this object and in the ccxt instance that signs requests; `repr` shows neither, and
`redact` scrubs both from any text (the adapter installs it as a filter on ccxt's logger).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from mmbot.venues.base import VenueAuthError

_MASK = "***"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key and secret; repr hides both."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)

    @classmethod
    def from_env(cls, venue: str, env: Mapping[str, str]) -> Credentials:
        """Read MM_<VENUE>_API_KEY / MM_<VENUE>_API_SECRET; E_VENUE_AUTH when either is unset."""
        prefix = f"MM_{venue.upper()}_API_"
        key, secret = env.get(prefix + "KEY", ""), env.get(prefix + "SECRET", "")
        missing = [name for name, value in (("KEY", key), ("SECRET", secret)) if not value]
        if missing:
            names = ",".join(prefix + m for m in missing)
            raise VenueAuthError("E_VENUE_AUTH", f"env {names} unset; expected API credentials")
        return cls(key, secret)

    def redact(self, text: str) -> str:
        """Return text with the key and the secret masked."""
        for value in (self.secret, self.api_key):
            if value:
                text = text.replace(value, _MASK)
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks credentials in a record's rendered message."""

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, mask credentials, keep the record."""
        message = record.getMessage()
        clean = self._credentials.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
