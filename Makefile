# Qudao: two commands for a fresh clone (nothing needed but Python >= 3.11, Node.js with npm, git and the
# package registries).
#
#   make run     install into .venv and start Qudao on http://127.0.0.1:8000 (SQLite, demo data, job worker)
#   make test    install (dev tools included, Debian's chromium if missing), then ruff and the whole test
#                suite on SQLite
#
# More:
#   make test-postgres   the same suite on PostgreSQL (QUDAO_TEST_POSTGRES_URL, default 127.0.0.1:5432)
#   make lint            ruff check
#   make bench           the partner-list benchmark (BENCH_ARGS="--quick" or "--postgres")
#   make bench-quick     every benchmark in benchmarks/ with --quick, a smoke run (CI runs it)
#   make messages        extract and compile the translation catalogues (scripts/messages.sh)
#
# Options: ARGS="--port 8080" for `make run`; PYTEST_ARGS="-x -k seed" for the test targets;
#          PYTEST_WORKERS=0 runs the suite in one process (default: 2 pytest-xdist workers).
# Installation is skipped while requirements.lock and pyproject.toml are unchanged (stamp file).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qudao-installed
QUDAO_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/qudao
ARGS ?=
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test test-postgres lint bench bench-quick install chromium messages

help:
	@sed -n '1,17p' Makefile | sed 's/^# \{0,1\}//'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The pinned dependencies (dev tools included: the lock is compiled with the dev extra), then
# Qudao itself as an editable package, which also installs the `qudao` command.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@

# The browser packages pinned in package-lock.json (Apache ECharts), served by the app from
# node_modules/ (qudao/core/staticfinders.py); reinstalled when the lock changes or node_modules/ is gone.
NPM_STAMP := node_modules/.qudao-installed
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP) $(NPM_STAMP)

run: install
	$(BIN)/qudao serve $(ARGS)

# Browser tests drive Debian's chromium (Playwright never downloads a browser here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update && apt-get install -y chromium; \
	  else \
	    echo "note: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
	         "the browser tests will be skipped"; \
	  fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: install
	scripts/messages.sh

# pytest's exit status 5 (no tests collected) is a failure like any other non-zero status.
define run_pytest
	status=0; $(1) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "error: no tests were collected" >&2; exit 1; fi; exit $$status
endef

test: install chromium lint
	@echo "== tests on SQLite"
	@$(call run_pytest,env QUDAO_DATABASE_URL= DATABASE_URL=)

test-postgres: install chromium
	@echo "== tests on PostgreSQL ($(QUDAO_TEST_POSTGRES_URL))"
	@$(call run_pytest,env QUDAO_DATABASE_URL=$(QUDAO_TEST_POSTGRES_URL))

bench: install
	$(BIN)/python benchmarks/partners.py $(BENCH_ARGS)

# Each benchmark's smoke run (PostgreSQL at 127.0.0.1:5432 for the orders and rebates benchmarks).
bench-quick: install
	$(BIN)/python benchmarks/quick.py
