"""Each repo lint catches a violation planted in a temp tree, and passes on the real src/."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tools.ci import (
    check_ascii_logs,
    check_atomic_writer,
    check_deterministic_json,
    check_error_codes,
)

pytestmark = pytest.mark.selected
BIN = Path(sys.executable).parent


def _plant(root: Path, relative: str, code: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code))
    return path


ATOMIC_PRELUDE = (
    "import gzip\nimport json, shutil\nfrom pathlib import Path\np = f = df = m = None\n"
)
ATOMIC_CASES = [
    ("open(p, 'w').write('x')", "mode 'w'"),
    ("open(p, mode='a')", "mode 'a'"),
    ("with open(p, 'xb') as f: pass", "mode 'xb'"),
    ("Path(p).write_text('x')", ".write_text()"),
    ("Path(p).write_bytes(b'x')", ".write_bytes()"),
    ("json.dump({}, f)", "json.dump()"),
    ("shutil.copy('a', 'out/b')", "shutil.copy()"),
    ("Path(p).open('w')", "mode 'w'"),
    ("df.write_parquet('x.parquet')", ".write_parquet()"),
    ("open(p, m)", "mode not a literal"),
    ("gzip.open(p, 'wb')", "mode 'wb'"),
]


@pytest.mark.parametrize(("code", "what"), ATOMIC_CASES)
def test_atomic_writer_lint_catches_planted_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, what: str
) -> None:
    _plant(tmp_path, "src/mmbot/engine/bad.py", ATOMIC_PRELUDE + code + "\n")
    assert check_atomic_writer.main([str(tmp_path / "src")]) == 1
    out = capsys.readouterr().out
    assert f"src/mmbot/engine/bad.py:5: file write {what} outside mmbot.artifacts" in out


def test_atomic_writer_lint_allows_reads_and_the_writer_itself(tmp_path: Path) -> None:
    reads = "import gzip\nopen('x').read()\nopen('x', 'rb').read()\ngzip.open('x', 'rb')\n"
    _plant(tmp_path, "src/mmbot/data/ok.py", reads)
    _plant(tmp_path, "src/mmbot/artifacts/atomic.py", "open('x', 'xb')\n")
    assert check_atomic_writer.main([str(tmp_path / "src")]) == 0


def test_atomic_writer_lint_pragma_exempts_in_memory_buffer(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        "src/mmbot/backtest/chart.py",
        "fig.savefig(buffer, format='svg')  # atomic-writer: in-memory\n",
    )
    assert check_atomic_writer.main([str(tmp_path / "src")]) == 0
    _plant(tmp_path, "src/mmbot/backtest/chart.py", "fig.savefig('out.svg')\n")
    assert check_atomic_writer.main([str(tmp_path / "src")]) == 1


def test_deterministic_json_lint_catches_dumps_outside_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _plant(tmp_path, "src/mmbot/audit/r.py", "import json\n\ntext = json.dumps({'a': 1})\n")
    _plant(tmp_path, "src/mmbot/audit/s.py", "from json import dumps\n")
    assert check_deterministic_json.main([str(tmp_path / "src")]) == 1
    out = capsys.readouterr().out
    assert "src/mmbot/audit/r.py:3: json.dumps()" in out
    assert "src/mmbot/audit/s.py:1: from json import dumps" in out


def test_deterministic_json_lint_allows_loads(tmp_path: Path) -> None:
    _plant(tmp_path, "src/mmbot/audit/r.py", "import json\n\njson.loads('{}')\n")
    assert check_deterministic_json.main([str(tmp_path / "src")]) == 0


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("log.info('caf\u00e9 opened')\n", "is not ASCII"),
        ("logger.warning('two\\nlines')\n", "holds a line break"),
        ("self._log.error(f'bad {x} \u2014 y')\n", "is not ASCII"),
        ("logging.info('a', extra='\u00fc')\n", "is not ASCII"),
    ],
)
def test_ascii_logs_lint_catches_planted_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, problem: str
) -> None:
    _plant(tmp_path, "src/mmbot/engine/loop.py", code)
    assert check_ascii_logs.main([str(tmp_path / "src")]) == 1
    assert problem in capsys.readouterr().out


def test_ascii_logs_lint_passes_clean_logs(tmp_path: Path) -> None:
    _plant(tmp_path, "src/mmbot/engine/loop.py", "log.info('order placed', qty_lots=3)\n")
    assert check_ascii_logs.main([str(tmp_path / "src")]) == 0


def test_error_code_lint_catches_unregistered_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _plant(tmp_path, "src/mmbot/risk/x.py", "raise MmError('E_RISK_MADE_UP', 'x')\n")
    assert check_error_codes.main([str(tmp_path / "src")]) == 1
    assert "src/mmbot/risk/x.py:1: E_RISK_MADE_UP is not registered" in capsys.readouterr().out


def test_error_code_registry_problems_detected() -> None:
    problems = check_error_codes.registry_problems({"E_BAD": "x", "E_OK_CODE": "two\nlines"})
    assert problems == [
        "E_BAD: not of the form E_<AREA>_<WHAT>",
        "E_OK_CODE: meaning must be one ASCII line",
    ]


@pytest.mark.parametrize(
    "lint", [check_atomic_writer, check_ascii_logs, check_deterministic_json, check_error_codes]
)
def test_repo_lints_pass_on_real_src(repo_root: Path, lint: object) -> None:
    assert lint.main([str(repo_root / "src")]) == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "call",
    [
        "import time\nt = time.time()\n",
        "import datetime\nd = datetime.datetime.now()\n",
        "import random\nx = random.random()\n",
    ],
)
def test_ruff_banned_api_catches_wall_clock_and_rng_in_pure_package(
    repo_root: Path, tmp_path: Path, call: str
) -> None:
    planted = _plant(tmp_path, "src/mmbot/strategy/bad.py", call)
    result = subprocess.run(
        [
            str(BIN / "ruff"),
            "check",
            "--no-cache",
            "--config",
            str(repo_root / "pyproject.toml"),
            "--select",
            "TID251",
            str(planted),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "TID251" in result.stdout
