# idle-assets: two commands on a fresh machine.
#   make demo   create .venv, install, run the demo project, print where the map is
#   make test   create .venv, install with test extras, run the test suite
#   make test-fast  the unit tests only (no test marked slow: no whole run, browser or subprocess)
#   make lint   ruff, import-linter (the stages' import contracts) and mypy, as CI runs them
#   make bench  create .venv, install with benchmark extras, run the performance benchmark
#   make notebooks  create .venv with the notebook extras, run the notebooks (outputs in data/processed/notebooks/)
#   make lock   rewrite constraints/py<X.Y>.txt, the versions the installs above take on this Python
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# the versions the test suite passed with, for this Python; without a file for it, the newest releases
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
LOCK   := constraints/py$(PYVER).txt
PIN    := $(if $(wildcard $(LOCK)),-c $(LOCK),)

.PHONY: demo test test-fast lint bench notebooks run-volos lock clean help

help:
	@echo "make demo   - set up .venv and run the bundled demo (offline)"
	@echo "make test   - set up .venv with test extras and run pytest"
	@echo "make test-fast - the unit tests only, for quick feedback while developing (make test runs all)"
	@echo "make lint   - ruff (pyflakes, complexity), the import contracts between stages (import-linter), mypy"
	@echo "make bench  - set up .venv with benchmark extras and run benchmarks/bench.py (about 10 minutes)"
	@echo "make notebooks - set up .venv with the notebook extras and run the notebooks into data/processed/notebooks/"
	@echo "make run-volos - the Volos project on ../shared/data (or \$$IDLE_ASSETS_SHARED_DATA)"
	@echo "make lock   - rewrite $(LOCK) (the versions installed on Python $(PYVER)) with uv pip compile"
	@echo "make clean  - remove .venv and generated outputs"

$(VENV)/.installed: pyproject.toml $(wildcard $(LOCK))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@$(if $(PIN),echo "installing the versions in $(LOCK)",echo "no $(LOCK): installing the newest releases pyproject.toml allows (make lock pins them)")
	$(BIN)/python -m pip install --quiet $(PIN) -e '.[pdf]'
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet $(PIN) -e '.[test]'
	@touch $@

$(VENV)/.installed-lint: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet $(PIN) -e '.[lint]'
	@touch $@

$(VENV)/.installed-notebooks: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet $(PIN) -e '.[notebooks]'
	@touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/idle-assets run --demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow"

lint: $(VENV)/.installed-lint
	$(BIN)/ruff check pipeline tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/publish_bench.py

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/python scripts/run_notebooks.py

lock: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet uv
	@mkdir -p constraints
	@printf '%s\n' "# Versions 'make test', 'make demo', 'make lint' and .ci/run install on Python $(PYVER): the set the" \
	  "# test suite last passed with. pyproject.toml keeps ranges for users. Refresh with 'make lock'" \
	  "# (uv pip compile of pyproject.toml's base, test, lint and notebooks extras), then run make test." > $(LOCK).new
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lint --extra notebooks --python-version $(PYVER) \
	  --quiet --no-header --no-annotate --upgrade >> $(LOCK).new
	@mv $(LOCK).new $(LOCK)
	@echo "wrote $(LOCK); run make test (it reinstalls .venv) before committing it"

run-volos: $(VENV)/.installed
	$(BIN)/idle-assets run --config configs/volos.yaml

clean:
	rm -rf $(VENV) data/processed/*/ maps/*/
