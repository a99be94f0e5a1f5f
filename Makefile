# Two commands on a fresh machine: `make run` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Start the embedded default: `deputy shell` on SQLite with the offline planner.
run: $(STAMP)
	$(BIN)/deputy shell

## Lint, type-check, validate policies and manifests.
lint: $(STAMP)
	$(BIN)/ruff check bot integrations tests bench migrations setup.py
	$(BIN)/mypy
	$(BIN)/deputy policy check policies/*.yaml
	$(BIN)/deputy integrations check

## The whole suite, on SQLite and on PostgreSQL (see tests/support/postgres.py).
test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
