from __future__ import annotations

import io

import pytest

from mmbot.core import SimClock
from mmbot.obs import configure_logging, get_logger

pytestmark = pytest.mark.selected


def test_logfmt_one_ascii_line_per_record_with_sim_clock_ts() -> None:
    stream = io.StringIO()
    clock = SimClock(1_700_000_000_500_000_000)
    configure_logging(clock, stream)
    log = get_logger("mmbot.test")
    log.info("order placed", order_id="s1-7", qty_lots=3, post_only=True)
    clock.advance_to(1_700_000_061_000_000_000)
    log.warning("odd input", text="caf\u00e9\nline2")
    log.debug("filtered out at info level")
    lines = stream.getvalue().splitlines()
    assert lines == [
        'ts=2023-11-14T22:13:20Z level=info logger=mmbot.test msg="order placed" '
        "order_id=s1-7 qty_lots=3 post_only=true",
        'ts=2023-11-14T22:14:21Z level=warning logger=mmbot.test msg="odd input" '
        "text=caf\\xe9\\nline2",
    ]
    assert stream.getvalue().isascii()


def test_logfmt_same_clock_same_bytes() -> None:
    outputs = []
    for _ in range(2):
        stream = io.StringIO()
        configure_logging(SimClock(0), stream)
        get_logger("mmbot.x").info("tick", n=1)
        outputs.append(stream.getvalue())
    assert outputs[0] == outputs[1]
