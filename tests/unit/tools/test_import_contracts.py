"""The import-linter contracts cover every package of src/mmbot and break on planted imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.selected
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
REPO_ROOT = Path(__file__).resolve().parents[3]
PACKAGE_ROOT = REPO_ROOT / "src" / "mmbot"

# Each planted line, appended to the copy's module, breaks exactly the contract named with it.
PLANTS = {
    "core/__init__.py": "import mmbot.backtest\n",
    "risk/__init__.py": "import socket\n",
    "strategy/__init__.py": "import os\n",
    "unlisted/__init__.py": '"""A new package nobody added to the layers contract."""\n',
    "engine/__init__.py": "import mmbot.sim\n",
}
EXPECTED_BREAKS = [
    ("layers", ["- mmbot.core -> mmbot.backtest (l.", "- mmbot.unlisted\n"]),
    ("pure-no-network", ["mmbot.risk -> socket (l."]),
    ("pure-no-io", ["mmbot.strategy -> os (l."]),
    ("engine-venue-neutral", ["mmbot.engine -> mmbot.sim (l."]),
]


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _lint_imports(src: Path, cwd: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the repo's contracts over the mmbot package found in src."""
    selected = [arg for contract_id in contract_ids for arg in ("--contract", contract_id)]
    config = ["--config", str(REPO_ROOT / "pyproject.toml"), "--no-cache", "--no-logo"]
    return subprocess.run(
        [str(LINT_IMPORTS), *config, *selected],
        cwd=cwd,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_lint_imports_keeps_every_contract_on_the_real_tree() -> None:
    result = _lint_imports(REPO_ROOT / "src", REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


def test_every_directory_with_python_files_is_a_package() -> None:
    directories = {path.parent for path in PACKAGE_ROOT.rglob("*.py")}
    not_packages = [d for d in directories if not (d / "__init__.py").is_file()]
    assert sorted(str(d.relative_to(PACKAGE_ROOT)) for d in not_packages) == []


def test_layers_contract_names_every_child_of_mmbot_and_nothing_optional() -> None:
    layers = _contracts()["layers"]
    names = [name.strip() for layer in layers["layers"] for name in layer.split("|")]
    children = {path.name for path in PACKAGE_ROOT.iterdir() if (path / "__init__.py").is_file()}
    children |= {path.stem for path in PACKAGE_ROOT.glob("*.py") if path.name != "__init__.py"}
    assert (layers["containers"], layers["exhaustive"]) == (["mmbot"], True)
    assert [name for name in names if name.startswith("(")] == []
    assert sorted(names) == sorted(children)


@pytest.fixture(scope="module")
def planted_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of src/ with PLANTS appended; the real tree is never touched."""
    src = tmp_path_factory.mktemp("planted") / "src"
    shutil.copytree(PACKAGE_ROOT, src / "mmbot", ignore=shutil.ignore_patterns("__pycache__"))
    for relative, line in PLANTS.items():
        module = src / "mmbot" / relative
        module.parent.mkdir(exist_ok=True)
        with module.open("a") as handle:
            handle.write(line)
    return src


@pytest.mark.parametrize(("contract_id", "reported"), EXPECTED_BREAKS)
def test_contract_breaks_on_planted_import(
    planted_src: Path, contract_id: str, reported: list[str]
) -> None:
    result = _lint_imports(planted_src, planted_src.parent, contract_id)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{_contracts()[contract_id]['name']} BROKEN" in result.stdout
    for line in reported:
        assert line in result.stdout, result.stdout
