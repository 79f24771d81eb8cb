"""The deployment settings of the hdp DAGs: one YAML file, `platform.yaml`.

In a cluster the Helm chart mounts ConfigMap `hdp-dag-config` (key `platform.yaml`) and sets
`HDP_DAG_CONFIG` to its path. Without that variable the DAGs read `dags/platform.yaml`, shipped next to
them: local mode, each task runs the `hdp` CLI on this machine. The file is checked against
`platform.schema.json` when the DAG is parsed, so a wrong or missing key is an import error of the DAG that
names the key, not a SparkApplication failing at 3 a.m. Files stay whole: there is no merging of the
defaults under the cluster's file, which would quietly turn a forgotten `mode` into local mode."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import yaml

ENV_VAR = "HDP_DAG_CONFIG"
HERE = Path(__file__).resolve().parent
DEFAULTS = HERE.parent / "platform.yaml"
SCHEMA = HERE / "platform.schema.json"
# Tags that name no fixed build: a rerun of an old hour would run whatever the tag points at by then.
FLOATING_TAGS = ("", "latest")


class PlatformConfigError(ValueError):
    """platform.yaml is missing, malformed or breaks the contract; the message names the file and key."""


def path() -> Path:
    """The settings file in effect: $HDP_DAG_CONFIG, else the local-mode defaults next to the DAGs."""
    return Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else DEFAULTS


def load(source: Path | None = None) -> dict:
    """The validated settings as a plain dict (the SparkApplication template reads it as is)."""
    source = source or path()
    try:
        platform = yaml.safe_load(source.read_text())
    except OSError as exc:
        hint = f" (set by {ENV_VAR})" if os.environ.get(ENV_VAR) else ""
        raise PlatformConfigError(f"cannot read the DAG settings {source}{hint}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PlatformConfigError(f"{source} is not valid YAML: {exc}") from None
    _check(platform, source)
    platform.setdefault("hadoopConf", {})
    return platform


def start_date(platform: dict) -> datetime:
    """`startDate` as an aware UTC datetime: the first hour the hourly DAG schedules (catchup starts here)."""
    return datetime.fromisoformat(platform["startDate"].replace("Z", "+00:00"))


def _check(platform: object, source: Path) -> None:
    # jsonschema comes with Airflow (a dependency of airflow-core); imported here, when a DAG is parsed.
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    errors = sorted(validator.iter_errors(platform), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}" for e in errors]
        raise PlatformConfigError(
            f"{source} breaks the DAG settings contract ({SCHEMA.name}, explained in docs/airflow.md):\n"
            + "\n".join(lines)
        )
    image = platform["image"]
    if image["tag"].strip() in FLOATING_TAGS:
        raise PlatformConfigError(
            f"{source}: image.tag is {image['tag']!r}; the Spark job image must be pinned to a release tag "
            f"(e.g. 0.1.0) so that every run and every rerun of an hour uses a known build of "
            f"{image['repository']}. The Helm chart sets it from its values (image.tag)."
        )
