# idle-assets: two commands on a fresh machine.
#   make demo   create .venv, install, run the demo project, print where the map is
#   make test   create .venv, install with test extras, run the test suite
#   make lint   ruff, import-linter (the stages' import contracts) and mypy, as CI runs them
#   make bench  create .venv, install with benchmark extras, run the performance benchmark
#   make notebooks  create .venv with the notebook extras, run the notebooks (outputs in data/processed/notebooks/)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench notebooks run-volos clean help

help:
	@echo "make demo   - set up .venv and run the bundled demo (offline)"
	@echo "make test   - set up .venv with test extras and run pytest"
	@echo "make lint   - ruff (pyflakes, complexity), the import contracts between stages (import-linter), mypy"
	@echo "make bench  - set up .venv with benchmark extras and run benchmarks/bench.py (about 10 minutes)"
	@echo "make notebooks - set up .venv with the notebook extras and run the notebooks into data/processed/notebooks/"
	@echo "make run-volos - the Volos project on ../shared/data (or \$$IDLE_ASSETS_SHARED_DATA)"
	@echo "make clean  - remove .venv and generated outputs"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

$(VENV)/.installed-lint: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	@touch $@

$(VENV)/.installed-notebooks: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	@touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/idle-assets run

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-lint
	$(BIN)/ruff check pipeline tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench.py

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/python scripts/run_notebooks.py

run-volos: $(VENV)/.installed
	$(BIN)/idle-assets run --config configs/volos.yaml

clean:
	rm -rf $(VENV) data/processed/*/ maps/*/
