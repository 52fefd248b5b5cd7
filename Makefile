# Quick start: `make demo` (set up + main job), `make test` (set up + test suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sciml-installed
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup demo test test-all lint data clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup_env.sh
	PYTHON=$(PYTHON) bash scripts/setup_env.sh $(VENV)
	@touch $(STAMP)

demo: setup
	$(BIN)/python examples/demo.py

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m "slow or not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

data: setup
	PATH=$(abspath $(BIN)):$$PATH bash data/make_data.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache results
