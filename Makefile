# Two commands for a new machine: `make run` and `make test` (see README.md).
# Every step is stamped, so a second run reinstalls or rebuilds nothing unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP     := $(VENV)/.installed
NODE_STAMP   := node_modules/.installed
ASSETS_STAMP := webapp/static/dist/.built
ASSET_SOURCES := $(wildcard webapp/assets/*)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test bench bench-supervision bench-large loadtest lint worker mutants clean

setup: $(PY_STAMP) $(ASSETS_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS_STAMP): $(NODE_STAMP) $(ASSET_SOURCES)
	npm run --silent build
	touch $@

# Serves with the production server (gunicorn, `yjs serve`), as deployed; run `make worker`
# beside it for timers and cards (README, docs/deploy.md).
run: setup
	$(BIN)/yjs db upgrade
	$(BIN)/yjs load-themes
	$(BIN)/yjs demo-users
	$(BIN)/yjs serve --host $(HOST) --port $(PORT)

worker: setup
	$(BIN)/yjs worker

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Planted bugs (tests/mutations/*.patch) must each make the suite fail; not part of `test`.
# YJS_TEST_DATABASE_URL, from the environment or the command line, reaches the suite runs
# (the row-lock mutant needs PostgreSQL); MUTANTS_ARGS picks patches or passes options.
mutants: setup
	$(BIN)/python tests/mutations/run.py $(MUTANTS_ARGS)

bench: setup
	$(BIN)/python -m bench

# 效能监督 at 1,000,000 cases on PostgreSQL (several minutes): also run by `make bench`
# when YJS_BENCH_SUPERVISION=1.
bench-supervision: setup
	$(BIN)/python -m bench.supervision_bench
# The inbox at 1,000,000 open tasks (bulk SQL, a few minutes more than `make bench`).
bench-large: setup
	YJS_BENCH_INBOX_TASKS=1000000 $(BIN)/python -m bench

# 企业开办 journeys over HTTP against `yjs serve` on PostgreSQL (locust, headless, ~3 min);
# YJS_BENCH_DATABASE_URL picks the database, YJS_LOADTEST_PORT the port (8765).
loadtest: setup
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules webapp/static/dist .pytest_cache
