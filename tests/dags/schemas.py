"""Strict validation of what the DAGs submit to Kubernetes.

- A SparkApplication against the CRD's own openAPIV3Schema (../shared/crds), made strict: every object
  schema with `properties` gets `additionalProperties: false` unless the CRD marks it
  `x-kubernetes-preserve-unknown-fields`, so a misspelt or misplaced field is an error here, as the API
  server's structural pruning would otherwise drop it silently.
- The pod templates (driver.template, executor.template), which the CRD leaves open, against the Kubernetes
  API's models in the Python client the provider pins: unknown fields and missing required ones fail."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "tests" / "crds"  # copies of ../shared/crds (tests/crds/SOURCES.md): a clone anywhere has them
SPARK_APPLICATION_CRD = CRDS / "sparkoperator.k8s.io_sparkapplications.yaml"


def _strict(schema):
    if isinstance(schema, dict):
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            _strict(value)
    elif isinstance(schema, list):
        for value in schema:
            _strict(value)
    return schema


@cache
def spark_application_validator() -> jsonschema.Draft7Validator:
    if not SPARK_APPLICATION_CRD.exists():
        raise FileNotFoundError(
            f"{SPARK_APPLICATION_CRD} is missing: the CRD schemas live in tests/crds (copies of the platform's shared/crds)"
        )
    crd = yaml.safe_load(SPARK_APPLICATION_CRD.read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta2"]
    return jsonschema.Draft7Validator(_strict(copy.deepcopy(version["schema"]["openAPIV3Schema"])))


def spark_application_errors(app: dict) -> list[str]:
    """Every way `app` breaks the CRD (strict) or the Kubernetes pod template schema, one line each."""
    errors = [
        f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in spark_application_validator().iter_errors(app)
    ]
    if app.get("apiVersion") != "sparkoperator.k8s.io/v1beta2" or app.get("kind") != "SparkApplication":
        errors.append(
            f"not a sparkoperator.k8s.io/v1beta2 SparkApplication: {app.get('apiVersion')} {app.get('kind')}"
        )
    for role in ("driver", "executor"):
        template = app.get("spec", {}).get(role, {}).get("template")
        if template is not None:
            errors += model_errors(template, "V1PodTemplateSpec", f"spec.{role}.template")
    return errors


_PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object}


def model_errors(value, type_name: str, path: str) -> list[str]:
    """Checks `value` (JSON as the API server receives it) against a model of the Kubernetes client."""
    from kubernetes import client

    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        return [
            e for i, item in enumerate(value) for e in model_errors(item, type_name[5:-1], f"{path}[{i}]")
        ]
    if type_name.startswith(("dict[", "dict(")):  # dict[str, str] (older clients: dict(str, str))
        if not isinstance(value, dict):
            return [f"{path}: expected a map, got {value!r}"]
        inner = type_name[5:-1].split(", ", 1)[1]
        return [e for k, item in value.items() for e in model_errors(item, inner, f"{path}.{k}")]
    if type_name in _PRIMITIVES:
        ok = isinstance(value, _PRIMITIVES[type_name]) and not (
            type_name == "int" and isinstance(value, bool)
        )
        return [] if ok else [f"{path}: expected {type_name}, got {value!r}"]
    model = getattr(client, type_name)
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({type_name}), got {value!r}"]
    fields = {json_name: attr for attr, json_name in model.attribute_map.items()}
    errors = [f"{path}.{key}: unknown field of {type_name}" for key in value if key not in fields]
    for key, item in value.items():
        if key in fields:
            errors += model_errors(item, model.openapi_types[fields[key]], f"{path}.{key}")
    if not errors:
        try:  # the client's models refuse a missing required field (e.g. a container without a name)
            client.ApiClient()._ApiClient__deserialize(value, type_name)
        except (ValueError, TypeError) as exc:
            errors.append(f"{path}: {exc}")
    return errors
