# skirnet's two entry points (see README.md):
#   make demo   set up a virtual environment and run the main job (`skirnet demo`)
#   make test   set up a virtual environment and run the test suite
# TORCH is installed first so that the project's "torch>=2.4" is already satisfied and pip
# never pulls a CUDA build by itself; override it (e.g. TORCH="torch --index-url ...") to
# choose another build.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.skirnet-installed

.PHONY: setup demo test test-all lint docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

demo: setup
	$(BIN)/skirnet demo

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m "slow or not slow"

lint: setup
	$(BIN)/ruff check skirnet tests benchmarks examples
	$(BIN)/ruff format --check skirnet tests benchmarks examples

docs: setup
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build
