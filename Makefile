# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export SPARK_LOCAL_IP ?= 127.0.0.1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install tools demo down test test-fast lint format clean

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10+ is needed: set PYTHON=python3.11 (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local]'
	@touch $@

install: $(BIN)/.installed ## create the virtualenv and install the project

tools: ## install the infrastructure check tools into .tools/ (checkov, actionlint, hadolint, helm)
	bash scripts/install-infra-tools.sh

demo: install ## run the whole platform on this machine and print the KPIs
	$(BIN)/hdp demo

down: ## stop the PostgreSQL and pharmacy API that `make demo` left running
	@if [ -x $(BIN)/hdp ]; then $(BIN)/hdp down; else echo "nothing to stop"; fi

lint: install ## ruff
	$(BIN)/ruff check jobs tests
	$(BIN)/ruff format --check jobs tests

format: install
	$(BIN)/ruff format jobs tests
	$(BIN)/ruff check --fix jobs tests

test: install tools ## lint, unit, integration, end-to-end and infrastructure tests
	$(BIN)/ruff check jobs tests
	$(BIN)/python -m pytest

test-fast: install ## unit tests only
	$(BIN)/python -m pytest tests/unit

clean: down
	rm -rf $(VENV) .tools .demo .pytest_cache .ruff_cache
