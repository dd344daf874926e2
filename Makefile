# mmbot developer commands. A fresh machine needs only python3 (3.11) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SRC_LINTS := check_atomic_writer check_ascii_logs check_deterministic_json check_error_codes
PROMTOOL ?= promtool

.PHONY: venv lint monitoring-check test test-selected golden demo bench clean go-nogo verify-links

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests tools benchmarks monitoring
	$(BIN)/ruff format --check src tests tools benchmarks monitoring
	$(BIN)/mypy
	$(BIN)/lint-imports
	@for lint in $(SRC_LINTS); do $(BIN)/python tools/ci/$$lint.py src || exit 1; done
	@if command -v $(PROMTOOL) >/dev/null; then $(MAKE) --no-print-directory monitoring-check; \
	else echo "SKIP monitoring-check: $(PROMTOOL) not found (Debian package prometheus)"; fi

# Alert and recording rules: syntax, the promtool unit tests, and the example scrape config.
monitoring-check:
	$(PROMTOOL) check rules monitoring/alerts/mm_bot.rules.yml
	$(PROMTOOL) test rules monitoring/alerts/mm_bot.rules.test.yml
	$(PROMTOOL) check config monitoring/prometheus.yml

test: lint
	$(BIN)/python -m pytest -q

test-selected: $(STAMP)
	$(BIN)/python -m pytest -q -m selected

# Regenerate every golden: run each command in tests/golden/MANIFEST, then refresh its sha256s.
golden: $(STAMP)
	$(BIN)/python tools/golden_manifest.py --regenerate

# The release verdict over every report and the goldens (docs/RUNBOOK.md): VERDICT=GO, or
# one NO-GO line per cause and VERDICT=NO-GO (exit 1).
go-nogo: $(STAMP)
	$(BIN)/mmbot go-nogo

# Every relative link and anchor of README.md and docs/*.md resolves: [OK] all links valid.
verify-links: $(STAMP)
	$(BIN)/mmbot docs verify-links

demo: $(STAMP)
	$(BIN)/mmbot demo --out out/demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_sim.py

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache
