"""What only Bybit has, against its loopback fake.

The scenarios both venues share are one suite, run on each: test_loopback_faults.py.
"""

from __future__ import annotations

import pytest
from tests.loopback.harness import running

from mmbot.venues.ccxt.bybit.exchange import retry_after_s


@pytest.mark.asyncio
async def test_bybit_create_endpoint_budget_is_70_percent_of_its_10_per_second() -> None:
    async with running(venue="bybit") as (_, adapter):
        assert adapter.endpoint_budgets["privatePostV5OrderCreate"].cap == 7


def test_bybit_retry_after_prefers_header_then_reset_minus_venue_time() -> None:
    assert retry_after_s({"Retry-After": "2"}) == 2.0
    assert retry_after_s({"X-Bapi-Limit-Reset-Timestamp": "1500", "Timenow": "1000"}) == 0.5
    assert retry_after_s({}) == 1.0
