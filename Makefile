# mmbot developer commands. A fresh machine needs only python3 (3.11) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SRC_LINTS := check_atomic_writer check_ascii_logs check_deterministic_json check_error_codes

.PHONY: venv lint test test-selected golden demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check src tests tools benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	@for lint in $(SRC_LINTS); do $(BIN)/python tools/ci/$$lint.py src || exit 1; done

test: lint
	$(BIN)/python -m pytest -q

test-selected: $(STAMP)
	$(BIN)/python -m pytest -q -m selected

# Regenerate every golden: run each command in tests/golden/MANIFEST, then refresh its sha256s.
golden: $(STAMP)
	$(BIN)/python tools/golden_manifest.py --regenerate

demo: $(STAMP)
	$(BIN)/mmbot demo --out out/demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_sim.py

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache
