"""Test support: loopback fake venues (aiohttp servers on 127.0.0.1, ephemeral ports)."""

from tests.loopback.binance_fake import API_KEY, API_SECRET, FakeBinance
from tests.loopback.bybit_fake import FakeBybit
from tests.loopback.server import FakeFaults, FakeStats, LoopbackServer

__all__ = ["API_KEY", "API_SECRET", "FakeBinance", "FakeBybit", "FakeFaults", "FakeStats",
           "LoopbackServer"]  # fmt: skip
