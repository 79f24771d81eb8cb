"""Fixtures of the DAG tests. They run in .venv-airflow (`make test-dags`), not in the project's .venv:
Airflow and Spark live in separate virtualenvs, as in production (the Airflow image has no pyspark).

Airflow reads its settings when it is first imported, so a throwaway AIRFLOW_HOME is set up here, before
that. Without Airflow this fails at once, naming the fix: a DAG test never skips."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="hdp-airflow-tests-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
)
os.environ.pop("HDP_DAG_CONFIG", None)
sys.path.append(str(DAGS))  # as the DAG processor does for its bundle: the DAGs import `hdp_dags`

try:
    import airflow  # noqa: F401
    import airflow.providers.cncf.kubernetes  # noqa: F401
except ImportError as exc:  # the wrong interpreter: say which one is right
    raise ImportError(
        f"the DAG tests need Airflow and its Kubernetes provider, which {sys.executable} lacks ({exc}). "
        "Run them with `make test-dags` (.venv-airflow/bin/python -m pytest tests/dags)."
    ) from exc

import pytest  # noqa: E402
import yaml  # noqa: E402

from tests.dags.dagbag import load_dags  # noqa: E402


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture
def platform_file(tmp_path):
    """Writes DAG settings: dags/platform.yaml with `changes` applied (dotted keys), returns the path."""

    def write(**changes) -> Path:
        platform = yaml.safe_load((DAGS / "platform.yaml").read_text())
        for dotted, value in changes.items():
            *parents, last = dotted.split(".")
            node = platform
            for key in parents:
                node = node[key]
            node[last] = value
        path = tmp_path / f"platform-{len(list(tmp_path.glob('platform-*')))}.yaml"
        path.write_text(yaml.safe_dump(platform))
        return path

    return write


@pytest.fixture
def dags(monkeypatch, platform_file):
    """The DAGs as the DAG processor parses them, with the settings file `path` (or changes to the
    defaults): {dag_id: DAG}. Import errors fail the test with Airflow's own message."""

    def parse(path: Path | None = None, **changes):
        monkeypatch.setenv("HDP_DAG_CONFIG", str(path or platform_file(**changes)))
        bag = load_dags()
        assert not bag.import_errors, bag.import_errors
        return bag.dags

    return parse
