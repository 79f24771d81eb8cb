"""The DAG files import cleanly, quickly, and without Spark, pandas, Great Expectations or the project's
`hdp` package: the DAG processor parses them every few seconds, and the Airflow image has none of those.
Each check parses in a fresh interpreter, so that nothing this test session imported can hide an import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.dags.conftest import DAGS

FORBIDDEN = ("pyspark", "py4j", "delta", "great_expectations", "pandas", "pyarrow", "hdp", "psycopg2")
# Measured on a 2-core machine: 0.02 s per file in local mode, 0.8 s for the first file in Kubernetes
# mode (the provider's Kubernetes client). Airflow's own limit is dagbag_import_timeout, 30 s.
PARSE_SECONDS = 3.0
PARSE = """
import json, sys
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
dags = Path(sys.argv[1])
bag = BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder")
print(json.dumps({
    "errors": bag.import_errors,
    "dags": sorted(bag.dags),
    "tasks": sum(len(d.tasks) for d in bag.dags.values()),
    "seconds": {s.file: s.duration.total_seconds() for s in bag.dagbag_stats},
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
}))
"""


@pytest.mark.parametrize("mode", ["local", "kubernetes"])
def test_dags_import_quickly_without_errors_or_heavy_modules(platform_file, mode):
    env = os.environ | {"HDP_DAG_CONFIG": str(platform_file(mode=mode))}
    result = subprocess.run(
        [sys.executable, "-c", PARSE, str(DAGS)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    assert parsed["errors"] == {}
    assert parsed["dags"] == ["hdp_hourly", "hdp_reprocess"] and parsed["tasks"] == 7
    assert set(parsed["seconds"]) == {"hdp_hourly.py", "hdp_reprocess.py"}  # hdp_dags/ is .airflowignore'd
    slow = {f: s for f, s in parsed["seconds"].items() if s > PARSE_SECONDS}
    assert not slow, f"parsing took longer than {PARSE_SECONDS} s: {slow}"
    heavy = set(FORBIDDEN) & set(parsed["modules"])
    assert not heavy, f"parsing the DAGs imported {sorted(heavy)}"
    if mode == "local":  # local mode does not even load the Kubernetes client
        assert "kubernetes" not in parsed["modules"]
