"""Bybit v5 linear perpetuals for the ccxt adapter: the dialect (`dialect`), the venue's JSON
(`codec`) and ccxt.pro's bybit with the adapter's hooks (`exchange`)."""

from mmbot.venues.ccxt.bybit.dialect import BybitDialect

__all__ = ["BybitDialect"]
