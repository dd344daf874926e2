from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmbot.artifacts import fmt6, fmt_exact, utc_day, utc_iso
from mmbot.core.errors import ArtifactError

pytestmark = pytest.mark.selected
FIXED6 = re.compile(r"^-?\d+\.\d{6}$")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.000000"),
        (-0.0, "0.000000"),
        (-1e-9, "0.000000"),
        (-4.9e-7, "0.000000"),
        (-5.1e-7, "-0.000001"),
        (1.5, "1.500000"),
        (-2.25, "-2.250000"),
        (123456789.1234564, "123456789.123456"),
        (1e20, "100000000000000000000.000000"),
    ],
)
def test_fmt6_table_exact_text(value: float, text: str) -> None:
    assert fmt6(value) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_fmt6_nonfinite_rejected(bad: float) -> None:
    with pytest.raises(ArtifactError, match="E_ART_NONFINITE"):
        fmt6(bad)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_fmt6_matches_pattern_and_round_trips_within_5e_7(value: float) -> None:
    text = fmt6(value)
    assert FIXED6.match(text)
    assert text != "-0.000000"
    # The printed decimal is the value rounded to 6 places: exactly within 5e-7 of it.
    assert abs(Decimal(text) - Decimal(value)) <= Decimal("5e-7")
    assert abs(float(text) - value) <= 5e-7 + math.ulp(value)


def test_utc_iso_truncates_to_seconds() -> None:
    assert utc_iso(1_700_000_000_999_999_999) == "2023-11-14T22:13:20Z"
    assert utc_iso(0) == "1970-01-01T00:00:00Z"
    assert utc_day(1_700_000_000_000_000_000) == "20231114"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-05, "0.00001"),
        (50000.1, "50000.1"),
        (-0.0, "0.0"),
        (-2.5, "-2.5"),
        (1e20, "1" + "0" * 20),
    ],
)
def test_fmt_exact_plain_decimal_table(value: float, text: str) -> None:
    assert fmt_exact(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_fmt_exact_reads_back_exactly(value: float) -> None:
    text = fmt_exact(value)
    assert float(text) == value
    assert "e" not in text.lower() and text.isascii()
