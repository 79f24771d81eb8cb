# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export SPARK_LOCAL_IP ?= 127.0.0.1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install tools browser demo down test test-fast lint format clean

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
	$(BIN)/ruff check jobs tests dags benchmarks
	$(BIN)/ruff format --check jobs tests dags benchmarks

format: install
	$(BIN)/ruff format jobs tests dags benchmarks
	$(BIN)/ruff check --fix jobs tests dags benchmarks

test: install tools browser airflow-install ## lint, unit, integration, end-to-end, infrastructure and DAG tests
	$(BIN)/ruff check jobs tests dags benchmarks
	$(BIN)/python -m pytest --ignore=tests/dags
	$(AIRFLOW_VENV)/bin/python -m pytest tests/dags

browser: ## a headless chromium for the KPI report's rendering tests (Debian's chromium-headless-shell)
	bash scripts/install-browser.sh

test-fast: install ## unit tests only
	$(BIN)/python -m pytest tests/unit

clean: down
	rm -rf $(VENV) .tools .demo .pytest_cache .ruff_cache

# --- Kubernetes: a local kind cluster (README "Deploying on Kubernetes") -------------------------------
# Needs docker, kind and kubectl on PATH; skaffold and helm come from .tools/ (make tools) unless on PATH.
SKAFFOLD ?= $(shell command -v skaffold 2>/dev/null || echo .tools/bin/skaffold)
KIND_CLUSTER := hdp
.PHONY: kind-up kind-deploy kind-test dev kind-down
# skaffold runs helm: the pinned one of .tools/ first
kind-deploy kind-test dev: export PATH := $(CURDIR)/.tools/bin:$(PATH)

kind-up: ## create the kind cluster of kind-config.yaml (drivers' on-demand worker, tainted spot worker)
	@kind get clusters 2>/dev/null | grep -qx $(KIND_CLUSTER) || kind create cluster --config kind-config.yaml
	kubectl config use-context kind-$(KIND_CLUSTER)

kind-deploy: ## build the images, load them into kind, install the operator, the chart and Airflow, seed
	$(SKAFFOLD) run --kube-context kind-$(KIND_CLUSTER) --status-check=true

kind-test: ## helm test (smoke SparkApplication), one run of the hourly DAG, rows in the warehouse
	bash k8s/local/e2e-check.sh

dev: ## skaffold dev on kind: rebuild and redeploy on change, port-forward Airflow, history server, console
	$(SKAFFOLD) dev --kube-context kind-$(KIND_CLUSTER) --port-forward

kind-down: ## delete the kind cluster
	kind delete cluster --name $(KIND_CLUSTER)

# --- Airflow: the DAGs in dags/, Airflow in its own virtualenv (docs/airflow.md) -----------------------
AIRFLOW_VENV := .venv-airflow
HOURS ?= 3
.PHONY: airflow-install test-dags airflow-demo

$(AIRFLOW_VENV)/.installed: scripts/install-airflow.sh tests/dags/requirements-airflow.lock
	bash scripts/install-airflow.sh

airflow-install: $(AIRFLOW_VENV)/.installed ## Airflow 3.3 + the Kubernetes provider into .venv-airflow (pinned)

test-dags: install airflow-install ## the DAG tests: parsing, structure, SparkApplications vs the CRD, dag.test() end to end
	$(AIRFLOW_VENV)/bin/python -m pytest tests/dags

airflow-demo: install airflow-install ## after `make demo`: dag.test() of the hourly DAG for its last HOURS hours (3)
	PYTHONPATH=dags $(AIRFLOW_VENV)/bin/python -m hdp_dags.local_runs --demo .demo --hours $(HOURS)

# --- Benchmarks (issue 12): benchmarks/, results in benchmarks/results/ ------------------------------------
BENCH_SCENARIOS ?= hospital hourly-1d
.PHONY: bench

bench: install ## benchmark BENCH_SCENARIOS (hospital hourly-1d; also health-system, hourly-365d) vs DuckDB
	$(BIN)/python -m benchmarks.run $(BENCH_SCENARIOS)
