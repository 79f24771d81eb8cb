"""values.yaml and values.schema.json change together: every values file validates, every object of the
schema is closed (additionalProperties: false), and a typo, a floating tag or a secret in a ConfigMap is
refused by the schema and by `helm template` itself. values.yaml documents every key."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from . import chart

pytestmark = pytest.mark.infra

SCHEMA = json.loads((chart.CHART / "values.schema.json").read_text())


def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(SCHEMA)


def _errors(values):
    return sorted(e.message for e in _validator().iter_errors(values))


def test_schema_is_valid():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_values_validate(scenario):
    assert _errors(chart.values_of(scenario)) == []


def test_values_yaml_alone_validates():
    assert _errors(yaml.safe_load((chart.CHART / "values.yaml").read_text())) == []


def test_every_object_is_closed():
    def walk(node, where="$"):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, f"{where} accepts unknown keys"
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(SCHEMA)


def _values_keys(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _values_keys(v, (*prefix, k))


def test_schema_and_values_have_the_same_keys():
    """A key in values.yaml the schema does not describe (or the reverse) means they drifted apart."""
    values = yaml.safe_load((chart.CHART / "values.yaml").read_text())

    def schema_at(path):
        node = SCHEMA
        for part in path:
            node = node.get("properties", {}).get(part)
            if node is None:
                return None
            while "$ref" in node:
                node = SCHEMA["$defs"][node["$ref"].split("/")[-1]]
        return node

    free_maps = {
        ("settings", "extra"),
        ("historyServer", "ingress", "annotations"),
        *(("monitoring", *k) for k in (("labels",), ("pushgateway", "serviceSelector"))),
        *(("monitoring", *k) for k in (("sparkOperator", "podSelector"), ("airflow", "serviceSelector"))),
    }
    for path in _values_keys(values):
        if any(path[: len(f)] == f and len(path) > len(f) for f in free_maps):
            continue
        if "nodeSelector" in path[:-1] or "resources" in path[:-1]:
            continue  # free-form maps (labels) and requests/limits blocks described by $defs
        assert schema_at(path) is not None, f"values.yaml key {'.'.join(path)} is not in values.schema.json"
    for name in SCHEMA["properties"]:
        assert name in values, f"schema property {name} has no default in values.yaml"


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"historyServer": {"replica": 2}}, "replica"),  # typo'd key
        ({"spark": {"executor": {"toleration": []}}}, "toleration"),
        ({"image": {"tag": "latest"}}, "image/tag"),
        ({"image": {"tag": ""}}, "image/tag"),
        ({"settings": {"extra": {"HDP_WAREHOUSE_DSN": "postgresql://x"}}}, "HDP_WAREHOUSE_DSN"),
        ({"secrets": {"provider": "plain"}}, "provider"),
        ({"serviceAccounts": {"extract": {"roleArn": "arn:aws:iam::1:user/x"}}}, "roleArn"),
        (
            {
                "s3": {"credentials": "env"},
                "secrets": {
                    "keys": ["HDP_SOURCE_DSN", "HDP_WAREHOUSE_DSN", "HDP_PHARMACY_TOKEN", "HDP_PSEUDONYM_KEY"]
                },
            },
            "keys",
        ),
    ],
    ids=[
        "typo",
        "nested-typo",
        "latest-tag",
        "empty-tag",
        "secret-in-configmap",
        "bad-enum",
        "bad-arn",
        "env-creds-without-keys",
    ],
)
def test_bad_values_are_refused(change, expected, helm_bin, tmp_path):
    values = chart._merge(chart.values_of("eks"), change)
    assert _errors(values), f"the schema accepted {change}"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(change))
    code, _, stderr = chart.helm_template([*chart.SCENARIOS["eks"], bad])
    assert code != 0, f"helm template accepted {change}"
    assert "schema" in stderr and expected in stderr, stderr


DOC = re.compile(r"^\s*#")
KEY = re.compile(r"^(\s*)([A-Za-z][\w.-]*):(.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _commented(lines: list[str], i: int) -> bool:
    """The line before line i (blank lines skipped) is a comment at the same indentation."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j >= 0 and bool(DOC.match(lines[j])) and _indent(lines[j]) == _indent(lines[i])


def test_values_yaml_is_documented_key_by_key():
    """Every leaf key of values.yaml (a key with a value, not a group of keys) has a comment above it, or
    its parent has one (small blocks such as `secretStoreRef: {kind, name}` documented as a whole)."""
    lines = (chart.CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for i, line in enumerate(lines):
        m = KEY.match(line)
        if not m:
            continue
        nxt = next((x for x in lines[i + 1 :] if x.strip() and not DOC.match(x)), "")
        is_group = (
            not m.group(3).strip() and _indent(nxt) > _indent(line) and not nxt.lstrip().startswith("- ")
        )
        if is_group:
            continue
        parent = next(
            (
                k
                for k in range(i - 1, -1, -1)
                if lines[k].strip() and not DOC.match(lines[k]) and _indent(lines[k]) < _indent(line)
            ),
            None,
        )
        if parent is not None and lines[parent].lstrip().startswith("- "):
            continue  # a field of a list item: the list is documented as a whole
        if not (
            _commented(lines, i)
            or (parent is not None and _indent(lines[parent]) > 0 and _commented(lines, parent))
        ):
            undocumented.append(f"{i + 1}: {line.strip()}")
    assert not undocumented, "undocumented keys in values.yaml:\n" + "\n".join(undocumented)
