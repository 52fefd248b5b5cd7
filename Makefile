# Quick start: `make demo` (set up + main job), `make test` (set up + test suite).
# `make check-install`: the built wheel, installed in a fresh virtualenv, runs the CLI.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sciml-installed
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup demo test test-all check-install lint data clean

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

check-install: setup
	bash scripts/check_install.sh $(abspath $(BIN))/python

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

data: setup
	PATH=$(abspath $(BIN)):$$PATH bash data/make_data.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache results
