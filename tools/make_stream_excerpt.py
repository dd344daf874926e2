"""Cut the stream-recording excerpt the real-data tests ship with (tests/fixtures/binance_stream/).

    python tools/make_stream_excerpt.py [--source DIR] [--seconds 90] [--out DIR]

From each symbol's recording in DIR (default ../shared/data/binance_usdm_2024-07-18: the
Binance USD-M BTCUSDT and ETHUSDT files published with hftbacktest, MIT), its day files read
in order, keep every line whose local time is within the first N seconds of the recording,
byte for byte, and write them as <symbol>_excerpt.gz (gzip level 9, mtime 0, no file name in
the header: the bytes depend only on the lines and zlib). Copy the source's LICENSE beside
them (the MIT notice must go with any excerpt). The source files are checked against their
published sha256 first, and the total written must stay within 1 MB.

Prints one `out=` line per file, `bytes_total=N`, then RESULT=OK; exits 1 with one E_TOOL_*
line when a source file is missing or not the published one, or the excerpt is too large.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmbot.artifacts import atomic_write_bytes

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "binance_usdm_2024-07-18"
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "binance_stream"
DEFAULT_SECONDS = 90.0
MAX_TOTAL_BYTES = 1_000_000
NS_PER_S = 1_000_000_000
# The published files (the source's README.md), day files of each symbol in recording order.
RECORDINGS = {
    "btcusdt": (
        ("btcusdt_20240718.gz", "e4163718b819a93b858d1259bfeb53e170ee31e03738f88e172af74078cd45be"),
        ("btcusdt_20240719.gz", "33bab357ff6e97be8134efd35d3489794807bedeb47f1a1f6cc81ece65d88b58"),
    ),
    "ethusdt": (
        ("ethusdt_20240718.gz", "f2260198a4e9e8015fa9c0867746baec1675670a0c82cb9332beb4bf87696d4c"),
        ("ethusdt_20240719.gz", "1412e7aa1091fc74d928b7cda4abf1bc0742cea7d8f770e2c63565b926e8817e"),
    ),
}


class ExcerptError(Exception):
    """A source file is missing or not the published one, or the excerpt is too large."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def day_files(source: Path, symbol: str) -> list[Path]:
    """Return a symbol's day files in order, each checked against its published sha256."""
    paths = []
    for name, digest in RECORDINGS[symbol]:
        path = source / name
        if not path.is_file():
            raise ExcerptError(f"E_TOOL_SOURCE: {path} not found; give --source DIR")
        if _sha256(path) != digest:
            raise ExcerptError(f"E_TOOL_SOURCE: {path} sha256 is not the published {digest}")
        paths.append(path)
    return paths


def first_lines(paths: Sequence[Path], seconds: float) -> Iterator[bytes]:
    """Yield the lines (with their newline) of the first `seconds` of local time."""
    horizon_ns: int | None = None
    for path in paths:
        with gzip.open(path, "rb") as handle:
            for line in handle:
                local_ns = int(line.split(b" ", 1)[0])
                if horizon_ns is None:
                    horizon_ns = local_ns + int(seconds * NS_PER_S)
                if local_ns > horizon_ns:
                    return
                yield line


def excerpt_bytes(source: Path, symbol: str, seconds: float) -> bytes:
    """Return the gzip bytes of one symbol's excerpt."""
    lines = b"".join(first_lines(day_files(source, symbol), seconds))
    return gzip.compress(lines, compresslevel=9, mtime=0)


def write_excerpt(source: Path, out: Path, seconds: float) -> list[tuple[Path, int]]:
    """Write every symbol's excerpt and the LICENSE into out; return (path, bytes) of each."""
    parts = {
        f"{symbol}_excerpt.gz": excerpt_bytes(source, symbol, seconds) for symbol in RECORDINGS
    }
    parts["LICENSE"] = (source / "LICENSE").read_bytes()
    total = sum(len(data) for data in parts.values())
    if total > MAX_TOTAL_BYTES:
        raise ExcerptError(
            f"E_TOOL_TOO_LARGE: {total} bytes > {MAX_TOTAL_BYTES}; lower --seconds ({seconds})"
        )
    written = []
    for name, data in parts.items():
        atomic_write_bytes(out / name, data)
        written.append((out / name, len(data)))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Write the excerpt; return 0, or 1 after one E_TOOL_* line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        written = write_excerpt(args.source, args.out, args.seconds)
    except ExcerptError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path, size in written:
        print(f"out={path} bytes={size}")
    print(f"bytes_total={sum(size for _, size in written)}")
    print("RESULT=OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
