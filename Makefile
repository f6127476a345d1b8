# wayhome chores. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup web bench bench-server bench-web evaluate clean

$(BIN)/wayhome: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The web app (web/: Vite + TypeScript + MapLibre, from npm; needs Node.js and npm).
# `npm ci` runs again when the lock file changes, the build when any web source changes;
# the build lands in src/wayhome/web/static/ (git-ignored), which `wayhome serve` serves.
WEB        := web
WEB_STATIC := src/wayhome/web/static
WEB_STAMP  := $(WEB)/node_modules/.wayhome-npm-ci
WEB_SOURCES = $(shell find $(WEB) -path $(WEB)/node_modules -prune -o -type f -print 2>/dev/null)

$(WEB_STAMP): $(WEB)/package-lock.json
	npm --prefix $(WEB) ci --no-audit --no-fund
	touch $@

$(WEB_STATIC)/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	npm --prefix $(WEB) run build
	@test -s $@ || { echo "make: the web build wrote no $@" >&2; exit 1; }

ifneq ($(wildcard $(WEB)/package-lock.json),)
web: $(WEB_STATIC)/index.html
else
web:
	@echo "make: no $(WEB)/package-lock.json: the web app is not built" >&2
endif

setup: $(BIN)/wayhome web

demo: setup
	$(BIN)/wayhome demo --out demo-plan

test: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy --strict
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/bench_plan.py

# The incident server under load (SQLite; ~4 min). PostgreSQL: add --database-url URL.
bench-server: setup
	$(BIN)/python benchmarks/bench_server_load.py --prefill 0 1000000

# The command-post page's first paint in Debian's chromium (20 teams, a 4 M-cell POA).
bench-web: setup
	$(BIN)/python benchmarks/bench_web_load.py

evaluate: setup
	$(BIN)/wayhome evaluate --cases ../shared/data/cases/cases.csv --out docs/evaluation.md

clean:
	rm -rf $(VENV) demo-plan .mypy_cache .ruff_cache .pytest_cache test-artifacts \
	    $(WEB)/node_modules $(WEB_STATIC)
