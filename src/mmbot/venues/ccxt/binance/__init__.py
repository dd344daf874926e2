"""Binance USD-M perpetuals for the ccxt adapter: the dialect (`dialect`), the venue's JSON
(`codec`) and ccxt.pro's binanceusdm with the adapter's hooks (`exchange`)."""

from mmbot.venues.ccxt.binance.dialect import BinanceDialect

__all__ = ["BinanceDialect"]
