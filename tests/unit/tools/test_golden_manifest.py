"""tests/golden/MANIFEST: it agrees with the goldens, its commands point at real tests, the tool
reports each kind of disagreement and `--write`/`--regenerate` bring it back in step."""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tools import golden_manifest
from tools.golden_manifest import Entry, ManifestError

pytestmark = pytest.mark.selected
REPO_ROOT = Path(__file__).resolve().parents[3]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
PYTEST = [".venv/bin/python", "-m", "pytest"]
MAKE_A = "python make_a.py --update-golden"
MAKE_B = "python make_b.py --update-golden"
A_V1, A_V2 = b"a.out v1\n", b"a.out v2\n"
B_V1, C_V1 = b"b.out v1\n", b"c.out v1\n"
GOOD_SHA = "0a" * 32


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _golden_tree(root: Path) -> Path:
    """Return a golden dir with a.out, b.out, c.out and a MANIFEST that agrees (b and c share)."""
    golden_dir = root / "golden"
    golden_dir.mkdir()
    lines = []
    for name, command in (("a.out", MAKE_A), ("b.out", MAKE_B), ("c.out", MAKE_B)):
        data = f"{name} v1\n".encode()
        (golden_dir / name).write_bytes(data)
        lines.append(f"{_sha(data)}  {name}  {command}\n")
    (golden_dir / "MANIFEST").write_text("# header\n" + "".join(lines))
    return golden_dir


def test_golden_manifest_committed_agrees_with_committed_goldens() -> None:
    assert golden_manifest.check(GOLDEN_DIR) == []
    assert golden_manifest.read_manifest(GOLDEN_DIR) != []


def test_golden_manifest_committed_is_in_write_form() -> None:
    text = (GOLDEN_DIR / "MANIFEST").read_text(encoding="ascii")
    assert text == golden_manifest.render_manifest(golden_manifest.parse_manifest(text))


def test_golden_manifest_every_command_names_a_test_that_writes_its_golden() -> None:
    for entry in golden_manifest.read_manifest(GOLDEN_DIR):
        words = shlex.split(entry.command)
        assert words[:3] == PYTEST and words[-1] == "--update-golden", entry.command
        nodes = words[3:-1]
        assert nodes, f"{entry.name}: no test named"
        sources = []
        for node in nodes:
            path, _, function = node.partition("::")
            source = (REPO_ROOT / path).read_text()
            assert not function or re.search(rf"^def {re.escape(function)}\(", source, re.M), node
            sources.append(source)
        assert any(f'"{entry.name}"' in source for source in sources), entry


def test_golden_manifest_check_clean_tree_reports_nothing(tmp_path: Path) -> None:
    assert golden_manifest.check(_golden_tree(tmp_path)) == []


def test_golden_manifest_check_reports_mismatch_missing_unlisted_one_line_each(
    tmp_path: Path,
) -> None:
    golden_dir = _golden_tree(tmp_path)
    (golden_dir / "a.out").write_bytes(A_V2)
    (golden_dir / "b.out").unlink()
    (golden_dir / "d.out").write_bytes(b"new\n")
    assert golden_manifest.check(golden_dir) == [
        f"E_GOLDEN_MISMATCH: a.out has sha256 {_sha(A_V2)}, MANIFEST says {_sha(A_V1)}",
        f"E_GOLDEN_MISSING: b.out is in MANIFEST but not in {golden_dir}",
        f"E_GOLDEN_UNLISTED: d.out is in {golden_dir} but not in MANIFEST",
    ]


def test_golden_manifest_cli_check_prints_each_problem_and_exits_1(tmp_path: Path) -> None:
    golden_dir = _golden_tree(tmp_path)
    (golden_dir / "c.out").write_bytes(b"changed\n")
    (golden_dir / "e.out").write_bytes(b"new\n")
    result = subprocess.run(
        [sys.executable, "tools/golden_manifest.py", "--check", "--golden-dir", str(golden_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    codes = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert codes == ["E_GOLDEN_MISMATCH", "E_GOLDEN_UNLISTED"]
    assert result.stderr.startswith("[FAIL] golden manifest --check: 2 problem(s)")


def test_golden_manifest_write_refreshes_sha_keeps_commands(tmp_path: Path) -> None:
    golden_dir = _golden_tree(tmp_path)
    (golden_dir / "a.out").write_bytes(A_V2)
    assert golden_manifest.main(["--write", "--golden-dir", str(golden_dir)]) == 0
    manifest = (golden_dir / "MANIFEST").read_text()
    assert manifest.startswith(golden_manifest.HEADER)
    assert manifest.removeprefix(golden_manifest.HEADER) == (
        f"{_sha(A_V2)}  a.out  {MAKE_A}\n"
        f"{_sha(B_V1)}  b.out  {MAKE_B}\n"
        f"{_sha(C_V1)}  c.out  {MAKE_B}\n"
    )
    assert golden_manifest.check(golden_dir) == []


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: (d / "d.out").write_bytes(b"new\n"), "E_GOLDEN_NO_COMMAND: d.out has no line"),
        (lambda d: (d / "b.out").unlink(), "E_GOLDEN_MISSING: b.out is in MANIFEST"),
    ],
    ids=["unlisted", "missing"],
)
def test_golden_manifest_write_refuses_what_it_cannot_fix_and_writes_nothing(
    tmp_path: Path, damage: Callable[[Path], object], expected: str
) -> None:
    golden_dir = _golden_tree(tmp_path)
    (golden_dir / "a.out").write_bytes(A_V2)
    before = (golden_dir / "MANIFEST").read_bytes()
    damage(golden_dir)
    problems = golden_manifest.write(golden_dir)
    assert len(problems) == 1 and problems[0].startswith(expected)
    assert (golden_dir / "MANIFEST").read_bytes() == before


@pytest.mark.parametrize(
    "text",
    [
        f"{GOOD_SHA} a.out cmd\n",
        f"{GOOD_SHA}  a.out\n",
        f"{GOOD_SHA[:-1]}  a.out  cmd\n",
        f"{GOOD_SHA.upper()}  a.out  cmd\n",
        f"{GOOD_SHA}   a.out  cmd\n",
        f"{GOOD_SHA}  sub/a.out  cmd\n",
        f"{GOOD_SHA}  a.out  cmd\r\n",
        f"{GOOD_SHA}  a.out  cmd\n\n",
        f"{GOOD_SHA}  b.out  cmd\n{GOOD_SHA}  a.out  cmd\n",
        f"{GOOD_SHA}  a.out  cmd\n{GOOD_SHA}  a.out  cmd\n",
        f"{GOOD_SHA}  a.out  cmd",
    ],
    ids=[
        "one-space",
        "no-command",
        "short-sha",
        "upper-sha",
        "padded-name",
        "path-not-name",
        "crlf",
        "blank-line",
        "unsorted",
        "duplicate",
        "no-final-newline",
    ],
)
def test_golden_manifest_malformed_text_rejected(text: str) -> None:
    with pytest.raises(ManifestError, match=r"^E_GOLDEN_MANIFEST_BAD: "):
        golden_manifest.parse_manifest(text)


def test_golden_manifest_parse_keeps_command_with_double_spaces_whole() -> None:
    text = f"# note\n{GOOD_SHA}  a.out  run  it --flag\n"
    assert golden_manifest.parse_manifest(text) == [Entry(GOOD_SHA, "a.out", "run  it --flag")]


def test_golden_manifest_absent_manifest_is_one_error_line(tmp_path: Path) -> None:
    assert golden_manifest.main(["--check", "--golden-dir", str(tmp_path)]) == 1
    with pytest.raises(ManifestError, match=r"^E_GOLDEN_MANIFEST_BAD: .* does not exist$"):
        golden_manifest.check(tmp_path)


def test_golden_manifest_distinct_commands_once_each_in_manifest_order() -> None:
    entries = [Entry(GOOD_SHA, name, cmd) for name, cmd in [("a", "y"), ("b", "x"), ("c", "y")]]
    assert golden_manifest.distinct_commands(entries) == ["y", "x"]


def _write_generator(root: Path, script: str, goldens: list[str]) -> None:
    """Plant a script that appends its name to ran.log and rewrites goldens as '<name> v2'."""
    body = "from pathlib import Path\n"
    body += f"with open('ran.log', 'a') as log:\n    log.write('{script}\\n')\n"
    for name in goldens:
        body += f"Path('golden/{name}').write_bytes(b'{name} v2\\n')\n"
    (root / script).write_text(body)


def _use_this_python(golden_dir: Path) -> None:
    manifest = golden_dir / "MANIFEST"
    manifest.write_text(
        manifest.read_text().replace("  python ", f"  {shlex.quote(sys.executable)} ")
    )


def test_golden_manifest_regenerate_runs_each_command_once_then_writes(tmp_path: Path) -> None:
    golden_dir = _golden_tree(tmp_path)
    _use_this_python(golden_dir)
    _write_generator(tmp_path, "make_a.py", ["a.out"])
    _write_generator(tmp_path, "make_b.py", ["b.out", "c.out"])
    assert golden_manifest.regenerate(golden_dir, cwd=tmp_path) == []
    assert (tmp_path / "ran.log").read_text() == "make_a.py\nmake_b.py\n"
    assert (golden_dir / "c.out").read_bytes() == b"c.out v2\n"
    assert golden_manifest.check(golden_dir) == []


def test_golden_manifest_regenerate_stops_at_failing_command_writes_nothing(
    tmp_path: Path,
) -> None:
    golden_dir = _golden_tree(tmp_path)
    _use_this_python(golden_dir)
    (tmp_path / "make_a.py").write_text("raise SystemExit(3)\n")
    _write_generator(tmp_path, "make_b.py", ["b.out", "c.out"])
    before = (golden_dir / "MANIFEST").read_bytes()
    problems = golden_manifest.regenerate(golden_dir, cwd=tmp_path)
    command = f"{shlex.quote(sys.executable)} make_a.py --update-golden"
    assert problems == [f"E_GOLDEN_COMMAND_FAILED: exit 3: {command}"]
    assert not (tmp_path / "ran.log").exists()
    assert (golden_dir / "MANIFEST").read_bytes() == before
