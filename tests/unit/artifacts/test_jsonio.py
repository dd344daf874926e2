from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmbot.artifacts import canonical_json_bytes, write_json
from mmbot.core.errors import ArtifactError

pytestmark = pytest.mark.selected

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def test_canonical_json_sorted_compact_ascii_lf() -> None:
    data = canonical_json_bytes({"b": 1, "a": {"z": [1.5, None], "y": "caf\u00e9"}})
    assert data == b'{"a":{"y":"caf\\u00e9","z":[1.5,null]},"b":1}\n'


def test_canonical_json_numpy_scalars_become_plain_values() -> None:
    assert canonical_json_bytes({"n": np.int64(3), "x": np.float64(0.25)}) == b'{"n":3,"x":0.25}\n'


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_canonical_json_nonfinite_rejected_with_dotted_key(bad: float) -> None:
    with pytest.raises(ArtifactError) as info:
        canonical_json_bytes({"report": {"rows": [0.0, bad]}}, where="out/r.json")
    assert info.value.line() == "E_ART_NONFINITE: out/r.json key=report.rows[1]"


def test_canonical_json_non_string_key_rejected() -> None:
    with pytest.raises(ArtifactError, match="E_ART_BADKEY"):
        canonical_json_bytes({"a": {1: "x"}})


def test_write_json_invalid_payload_leaves_old_file(tmp_path: Path) -> None:
    target = tmp_path / "metrics.json"
    write_json(target, {"ok": 1})
    with pytest.raises(ArtifactError, match=r"^E_ART_NONFINITE: .*metrics.json key=bad$"):
        write_json(target, {"bad": math.nan})
    assert target.read_bytes() == b'{"ok":1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


@given(json_values)
def test_canonical_json_same_payload_same_bytes(payload: object) -> None:
    first = canonical_json_bytes(payload)
    assert first == canonical_json_bytes(payload)
    assert first.endswith(b"\n") and first.count(b"\n") == 1
    assert first.isascii()


@given(st.dictionaries(st.text(max_size=6), json_scalars, max_size=8), st.randoms())
def test_canonical_json_key_order_never_matters(payload: dict[str, object], rnd: object) -> None:
    keys = list(payload)
    rnd.shuffle(keys)  # type: ignore[attr-defined]
    reordered = {key: payload[key] for key in keys}
    assert canonical_json_bytes(reordered) == canonical_json_bytes(payload)
