"""How the ccxt adapter reaches a venue and how careful it is, and the counters it keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mmbot.venues.base import Instrument

NS_PER_MS: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class CcxtVenueConfig:
    """How to reach the venue and how careful to be."""

    instrument: Instrument
    rest_base_url: str | None = None  # e.g. http://127.0.0.1:PORT for the loopback exchange
    ws_base_url: str | None = None
    timeout_ms: int = 5_000
    max_clock_skew_ms: float = 500.0
    max_book_age_ms: float = 2_000.0
    dead_man_countdown_ms: int = 60_000  # 0: do not arm the venue's dead-man switch
    heartbeat_ms: int = 15_000
    weight_fraction: float = 0.7
    weight_limit: int | None = None  # None: the venue's limit (exchangeInfo / dialect)
    weight_window_s: float | None = None
    max_rate_limit_retries: int = 3
    resolve_attempts: int = 5
    retry_backoff_ms: int = 50
    reconnect_backoff_ms: int = 100
    recon_overlap_ms: int = 60_000
    idem_window_ms: int = 5_000  # a replace/cancel repeated this soon is answered from the store
    close_grace_ms: int = 250  # ccxt waits this long on close (TLS shutdown); 0 on loopback
    venue: str = "binance"  # the dialect: "binance" (USD-M) or "bybit" (linear)

    @property
    def dead_man_enabled(self) -> bool:
        """Return True when the venue's dead-man switch is to be armed."""
        return self.dead_man_countdown_ms > 0


@dataclass(slots=True)
class VenueStats:
    """Counters a test or a metrics exporter reads."""

    reconnects_total: int = 0
    recons_total: int = 0
    rate_limited_total: int = 0
    temporary_errors_total: int = 0
    dead_man_arms_total: int = 0
    fenced_total: int = 0
    unexplained_fills: list[str] = field(default_factory=list)
