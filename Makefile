# geosim: every target creates .venv when it is missing, so a fresh clone needs only Python >= 3.12.
# Mesa 3.5 needs 3.12+. We look for the newest suitable interpreter: python3.14..python3.12 on PATH,
# then plain python3, then pyenv's installed versions (pyenv shims fail for versions not selected).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
RUNS  ?= 2000
SEED  ?= 7

FIND_PYTHON = for c in python3.14 python3.13 python3.12 python3 \
	  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  if $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
	    echo $$c; break; fi; done

.PHONY: run test lint bench golden install install-test clean

$(VENV)/.installed: pyproject.toml
	@py=$$($(FIND_PYTHON)); \
	if [ -z "$$py" ]; then echo "geosim needs Python >= 3.12 (Mesa 3.5); none found on PATH or in pyenv." >&2; exit 2; fi; \
	echo "Using $$py ($$($$py --version))"; \
	[ -x $(PY) ] || $$py -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Run the reference scenario: ensemble, summary table, HTML report under results/.
run: $(VENV)/.installed
	$(VENV)/bin/geosim validate scenarios/*.yaml
	$(VENV)/bin/geosim run scenarios/iraq-2014.yaml --runs $(RUNS) --seed $(SEED)

# The whole suite (unit, end-to-end, property and browser tests). The browser test needs Debian's
# chromium; tests/browser/ensure_chromium.sh installs it when we are root and apt is available.
test: $(VENV)/.installed-test
	-@bash tests/ensure_chromium.sh
	$(PY) -m pytest -q

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) benchmarks/ensemble.py
	$(PY) benchmarks/report.py

# Re-record the golden results of tests/golden/ after an intended change of the model's
# behaviour; commit the new files with the change (tests/test_golden.py shows what moved).
golden: $(VENV)/.installed-test
	$(PY) -m tests.golden.cases

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
