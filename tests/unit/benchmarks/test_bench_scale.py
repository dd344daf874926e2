"""bench_scale.py on tiny data sets: it caches them, runs each size in its own process and
prints figures that agree with the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench_scale import dataset_dir, main


def test_bench_scale_smoke_prints_both_sizes_and_a_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--sizes", "3000,9000", "--data-dir", str(tmp_path), "--chunk-rows", "500"])
    lines = capsys.readouterr().out.splitlines()
    sizes = {}
    for line in lines:
        if line.startswith("size="):
            fields = dict(part.split("=", 1) for part in line.split())
            sizes[int(fields["size"])] = fields
    assert sorted(sizes) == [3000, 9000]
    # 3,000 events a file: the larger set is three continuous daily files.
    assert [(float(sizes[n]["events"]), float(sizes[n]["files"])) for n in (3000, 9000)] == [
        (3000.0, 1.0),
        (9000.0, 3.0),
    ]
    assert all(float(sizes[n]["peak_rss_mib"]) > 0 for n in sizes)
    result = re.fullmatch(r"RESULT=(OK|BELOW_TARGET) .*", lines[-1])
    assert result is not None
    assert code == (0 if result.group(1) == "OK" else 1)


def test_bench_scale_generates_a_data_set_once(tmp_path: Path) -> None:
    folder = dataset_dir(7, 2000, 1000, tmp_path)
    stamp = (folder / "COMPLETE").stat().st_mtime_ns
    assert sorted(p.name for p in (folder / "BTC-USD").iterdir()) == [
        "2024-01-01.parquet",
        "2024-01-02.parquet",
    ]
    assert dataset_dir(7, 2000, 1000, tmp_path) == folder
    assert (folder / "COMPLETE").stat().st_mtime_ns == stamp
