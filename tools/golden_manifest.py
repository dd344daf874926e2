"""Keep tests/golden/MANIFEST in step with the goldens: the sha256 and the command of each.

MANIFEST has one line per golden, sorted by file name, fields separated by two spaces:
`<sha256 of the file's bytes>  <file name>  <command that regenerates it>` (the command is the
rest of the line); lines starting with `#` are comments. It is the one list of those commands:
`make golden` runs `--regenerate`, which runs each distinct command in order, then `--write`.

Usage: python tools/golden_manifest.py (--check | --write | --regenerate) [--golden-dir DIR]
  --check       exit 1 with one E_GOLDEN_* line per golden whose file and MANIFEST disagree
  --write       recompute every sha256 and rewrite MANIFEST, keeping each golden's command
  --regenerate  run every command (from the repo root), then --write
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from mmbot.artifacts import atomic_write_bytes

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
MANIFEST_NAME = "MANIFEST"
SEPARATOR = "  "
SHA256_RE = re.compile(r"[0-9a-f]{64}")
HEADER = (
    "# <sha256 of the file's bytes>  <golden file name>  <command that regenerates it>\n"
    "# Two spaces separate the fields; the command is the rest of the line. Sorted by name.\n"
    "# Written by `tools/golden_manifest.py --write`; `make golden` runs each command, then that.\n"
)


class ManifestError(ValueError):
    """MANIFEST is absent or a line of it is not `<sha256>  <name>  <command>`."""


@dataclass(frozen=True)
class Entry:
    """One golden as MANIFEST lists it."""

    sha256: str
    name: str
    command: str

    def render(self) -> str:
        """Return the entry as its MANIFEST line (no newline)."""
        return SEPARATOR.join((self.sha256, self.name, self.command))


def _are_entry_fields(fields: list[str]) -> bool:
    """Return whether fields are a sha256, a bare file name and a command, none padded."""
    if len(fields) != 3 or any(not field or field != field.strip() for field in fields):
        return False
    sha256, name, _ = fields
    return bool(SHA256_RE.fullmatch(sha256)) and "/" not in name


def parse_manifest(text: str) -> list[Entry]:
    """Return the entries of a MANIFEST text; raise ManifestError on a malformed line."""
    if text and not text.endswith("\n"):
        raise ManifestError("E_GOLDEN_MANIFEST_BAD: the last line does not end with a newline")
    entries: list[Entry] = []
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            continue
        fields = line.split(SEPARATOR, 2)
        if not (line.isascii() and line.isprintable() and _are_entry_fields(fields)):
            raise ManifestError(
                f"E_GOLDEN_MANIFEST_BAD: line {number} is not '<sha256>  <name>  <command>'"
            )
        entry = Entry(*fields)
        if entries and entry.name <= entries[-1].name:
            raise ManifestError(
                f"E_GOLDEN_MANIFEST_BAD: line {number} {entry.name} is a duplicate or out of order"
            )
        entries.append(entry)
    return entries


def read_manifest(golden_dir: Path) -> list[Entry]:
    """Return the entries of golden_dir/MANIFEST; raise ManifestError if absent or malformed."""
    path = golden_dir / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"E_GOLDEN_MANIFEST_BAD: {path} does not exist")
    return parse_manifest(path.read_text(encoding="ascii", errors="replace"))


def render_manifest(entries: list[Entry]) -> str:
    """Return the MANIFEST text of entries: the header, then one line per entry by name."""
    lines = [entry.render() + "\n" for entry in sorted(entries, key=lambda entry: entry.name)]
    return HEADER + "".join(lines)


def golden_names(golden_dir: Path) -> list[str]:
    """Return the sorted names of the goldens: every file in golden_dir except MANIFEST."""
    return sorted(
        path.name for path in golden_dir.iterdir() if path.is_file() and path.name != MANIFEST_NAME
    )


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of the bytes of path."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _missing(golden_dir: Path, entries: list[Entry]) -> list[str]:
    """Return an E_GOLDEN_MISSING line per listed golden whose file is gone."""
    return [
        f"E_GOLDEN_MISSING: {entry.name} is in MANIFEST but not in {golden_dir}"
        for entry in entries
        if not (golden_dir / entry.name).is_file()
    ]


def _unlisted(golden_dir: Path, entries: list[Entry]) -> list[str]:
    """Return the names of the goldens MANIFEST does not list."""
    listed = {entry.name for entry in entries}
    return [name for name in golden_names(golden_dir) if name not in listed]


def check(golden_dir: Path) -> list[str]:
    """Return one E_GOLDEN_* line per disagreement between the goldens and MANIFEST."""
    entries = read_manifest(golden_dir)
    problems = [
        f"E_GOLDEN_MISMATCH: {entry.name} has sha256 {actual}, MANIFEST says {entry.sha256}"
        for entry in entries
        if (golden_dir / entry.name).is_file()
        and (actual := file_sha256(golden_dir / entry.name)) != entry.sha256
    ]
    problems += _missing(golden_dir, entries)
    problems += [
        f"E_GOLDEN_UNLISTED: {name} is in {golden_dir} but not in MANIFEST"
        for name in _unlisted(golden_dir, entries)
    ]
    return problems


def write(golden_dir: Path) -> list[str]:
    """Rewrite MANIFEST with every golden's current sha256 and its command; return problems.

    Nothing is written when there is a problem: a golden without a command (unlisted), or a
    listed golden that is gone (dropping its line would hide a test that stopped writing it).
    """
    entries = read_manifest(golden_dir)
    problems = [
        f"E_GOLDEN_NO_COMMAND: {name} has no line in MANIFEST; add '<sha256>  {name}  <command>'"
        for name in _unlisted(golden_dir, entries)
    ]
    problems += _missing(golden_dir, entries)
    if not problems:
        refreshed = [
            replace(entry, sha256=file_sha256(golden_dir / entry.name)) for entry in entries
        ]
        atomic_write_bytes(golden_dir / MANIFEST_NAME, render_manifest(refreshed).encode("ascii"))
    return problems


def distinct_commands(entries: list[Entry]) -> list[str]:
    """Return the commands of entries in MANIFEST order, each once."""
    return list(dict.fromkeys(entry.command for entry in entries))


def regenerate(golden_dir: Path, cwd: Path) -> list[str]:
    """Run each distinct command in cwd (stop at the first failure), then write; return problems."""
    for command in distinct_commands(read_manifest(golden_dir)):
        print(f"+ {command}", flush=True)
        returncode = subprocess.run(shlex.split(command), cwd=cwd, check=False).returncode
        if returncode != 0:
            return [f"E_GOLDEN_COMMAND_FAILED: exit {returncode}: {command}"]
    return write(golden_dir)


def main(argv: list[str]) -> int:
    """Run the mode named in argv; print each problem and a one-line result; return 0 if none."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    modes = parser.add_mutually_exclusive_group(required=True)
    for mode in ("--check", "--write", "--regenerate"):
        modes.add_argument(mode, dest="mode", action="store_const", const=mode[2:])
    parser.add_argument("--golden-dir", type=Path, default=GOLDEN_DIR)
    args = parser.parse_args(argv)
    golden_dir: Path = args.golden_dir
    try:
        if args.mode == "check":
            problems = check(golden_dir)
        elif args.mode == "write":
            problems = write(golden_dir)
        else:
            problems = regenerate(golden_dir, REPO_ROOT)
    except ManifestError as error:
        problems = [str(error)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"[FAIL] golden manifest --{args.mode}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    count = len(golden_names(golden_dir))
    print(f"[OK] golden manifest --{args.mode}: {count} golden(s) agree with MANIFEST")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
