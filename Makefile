# Task commands: the README and CI call these, so a laptop and CI run the same thing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check lint typecheck imports schema clean

run: $(STAMP)  ## serve on http://127.0.0.1:8000 with demo data (embedded PostgreSQL unless CSHUB_DATABASE_URL)
	$(BIN)/cshub serve --demo

test: $(STAMP)  ## the whole test suite (embedded PostgreSQL unless TEST_DATABASE_URL)
	$(BIN)/pytest

check: lint typecheck imports  ## static checks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

schema: $(STAMP)  ## re-export schema/schema.graphql from the code
	$(BIN)/cshub export-schema --output schema/schema.graphql

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cshub needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)
