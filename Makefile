# wayhome chores. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup bench bench-server evaluate clean

$(BIN)/wayhome: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/wayhome

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

evaluate: setup
	$(BIN)/wayhome evaluate --cases ../shared/data/cases/cases.csv --out docs/evaluation.md

clean:
	rm -rf $(VENV) demo-plan .mypy_cache .ruff_cache .pytest_cache
