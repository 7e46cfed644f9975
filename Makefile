# Task commands: the README and CI call these, so a laptop and CI run the same thing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# uv installs the exact versions (with hashes) that uv.lock pins; its own version is the one the lock pins.
UV := $(BIN)/uv
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Python caches compiled modules (__pycache__/, git-ignored) unless told not to; some machines tell it not to,
# and then every process — each test worker, each `cshub serve` a test starts — compiles every module it
# imports from source again (importing the app: 2.3 s instead of 1.0 s).
unexport PYTHONDONTWRITEBYTECODE
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test check lint typecheck imports lockcheck lock schema bench-smoke clean

run: $(STAMP)  ## serve on http://127.0.0.1:8000 with demo data (embedded PostgreSQL unless CSHUB_DATABASE_URL)
	$(BIN)/cshub serve --demo

# Test processes (pytest-xdist); each has a scratch database of its own. `auto`: one per CPU core.
TEST_WORKERS ?= auto

test: $(STAMP)  ## the whole test suite (embedded PostgreSQL unless TEST_DATABASE_URL)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

check: lockcheck lint typecheck imports  ## static checks

# The server the benches make (and drop) their scratch databases on; unset: BENCH_DATABASE_URL, else
# postgresql://postgres@127.0.0.1:5432/test.
BENCH_SERVER ?=

bench-smoke: $(STAMP)  ## every bench in smoke size (tiny, seconds): a bench that no longer runs fails this
	$(BIN)/python -m bench.smoke $(if $(BENCH_SERVER),--server '$(BENCH_SERVER)')

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

lockcheck: $(UV)  ## fail when pyproject.toml and uv.lock disagree
	$(UV) lock --check

lock: $(UV)  ## re-resolve uv.lock after editing pyproject.toml (UPGRADE=1: newest versions of everything)
	$(UV) lock $(if $(UPGRADE),--upgrade)

schema: $(STAMP)  ## re-export schema/schema.graphql from the code
	$(BIN)/cshub export-schema --output schema/schema.graphql

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

$(STAMP): pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --extra dev --python $(BIN)/python --quiet
	touch $(STAMP)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cshub needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
