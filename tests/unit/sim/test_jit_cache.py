"""The simulator's numba disk cache follows every module of the compiled loop.

Each case copies the package into a temporary folder, adds a compiled caller and a compiled
callee in two modules of mmbot.sim, and runs them in fresh interpreters that import the copy:
numba alone keys the caller's cache on the caller's file, so an edited callee would go unseen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mmbot
from mmbot.data.jit_cache import prune_stale_caches
from mmbot.sim.jit import COMPILING_NOTICE

CALLER = """\
from mmbot.sim._cache_probe_callee import answer
from mmbot.sim.jit import compiled


@compiled
def probe() -> int:
    return answer()
"""
CALLEE = """\
from mmbot.sim.jit import compiled


@compiled
def answer() -> int:
    return {value}
"""
# Bound as the simulator's entry points are, so a cache miss says it is compiling.
RUN = """\
import mmbot
from mmbot.sim._cache_probe_caller import probe
from mmbot.sim.jit import bound_entry
print(mmbot.__file__)
print(bound_entry(probe)())
"""


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """Return a folder holding a copy of mmbot (no caches) with the probe modules in sim/."""
    source = Path(mmbot.__file__).parent
    shutil.copytree(source, tmp_path / "mmbot", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "mmbot" / "sim" / "_cache_probe_caller.py").write_text(CALLER)
    _write_callee(tmp_path, 1)
    return tmp_path


def _write_callee(root: Path, value: int) -> None:
    (root / "mmbot" / "sim" / "_cache_probe_callee.py").write_text(CALLEE.format(value=value))


def _run(root: Path) -> tuple[int, str]:
    """Run the probe on the copy in a fresh interpreter; return its answer and its stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PYTHON"))}
    env["PYTHONPATH"] = str(root)
    result = subprocess.run(
        [sys.executable, "-c", RUN], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    package_file, answer = result.stdout.split()
    assert Path(package_file).is_relative_to(root), package_file  # the copy, not the checkout
    return int(answer), result.stderr


def test_jit_cache_edited_callee_module_recompiles_its_caller(package_copy: Path) -> None:
    assert _run(package_copy)[0] == 1
    assert _run(package_copy)[0] == 1  # from the cache
    _write_callee(package_copy, 2)  # the caller's file is untouched
    assert _run(package_copy)[0] == 2


def test_jit_cache_miss_says_compiling_a_hit_is_silent(package_copy: Path) -> None:
    cold = _run(package_copy)[1]
    warm = _run(package_copy)[1]
    assert cold.splitlines().count(COMPILING_NOTICE) == 1, cold
    assert COMPILING_NOTICE not in warm, warm
    _write_callee(package_copy, 3)
    assert COMPILING_NOTICE in _run(package_copy)[1]


def test_jit_cache_lives_in_the_package_pycache(package_copy: Path) -> None:
    _run(package_copy)
    caches = list((package_copy / "mmbot" / "sim" / "__pycache__").glob("numba-*"))
    assert len(caches) == 1 and any(caches[0].rglob("*.nbi")), caches


def test_jit_cache_of_older_sources_is_pruned_other_units_kept(tmp_path: Path) -> None:
    current = tmp_path / "numba-sim-0123456789abcdef"
    older = tmp_path / "numba-sim-fedcba9876543210"
    legacy = tmp_path / "numba-00000000000000aa"  # the unit-less naming of earlier versions
    other_unit = tmp_path / "numba-data-fedcba9876543210"
    unrelated = tmp_path / "numba-sim-notahash"
    for folder in (current, older, legacy, other_unit, unrelated):
        (folder / "sim_x").mkdir(parents=True)
    pruned = prune_stale_caches(current)
    assert sorted(pruned) == sorted([older, legacy])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (current, other_unit, unrelated)
    )
    assert prune_stale_caches(tmp_path / "missing" / current.name) == []
