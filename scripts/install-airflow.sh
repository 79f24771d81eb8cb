#!/usr/bin/env bash
# Installs Airflow for the DAGs and their tests into a virtualenv of its own, .venv-airflow: the Airflow
# workers carry no Spark (the project's .venv has pyspark and delta-spark), and Airflow's own dependency
# pins must not move the project's. Every package is pinned in tests/dags/requirements-airflow.lock and
# installed with --no-deps, so two machines get the same set; `pip check` then proves the set consistent.
# Idempotent: `make airflow-install` re-runs it only when this script or the lock file changes.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${AIRFLOW_VENV:-.venv-airflow}
PYTHON=${AIRFLOW_PYTHON:-python3.11}
LOCK=tests/dags/requirements-airflow.lock

if ! command -v "$PYTHON" >/dev/null; then
  echo "error: Airflow 3.3 is installed for Python 3.11 and '$PYTHON' was not found." >&2
  echo "       Install Python 3.11 or point AIRFLOW_PYTHON at one (AIRFLOW_PYTHON=/usr/bin/python3.11)." >&2
  exit 1
fi
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$version" != "3.11" ]; then
  echo "error: $PYTHON is Python $version; the lock file is for 3.11 (set AIRFLOW_PYTHON)." >&2
  exit 1
fi

rm -f "$VENV/.installed"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$LOCK"
"$VENV/bin/python" -m pip check
"$VENV/bin/python" -c 'import airflow.sdk, airflow.providers.cncf.kubernetes, jsonschema, pytest'
touch "$VENV/.installed"
echo "Airflow $("$VENV/bin/python" -c 'import airflow; print(airflow.__version__)') in $VENV"
