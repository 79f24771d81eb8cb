"""terraform fmt, init + validate and `terraform test` (mock provider, plan only) for every module and env."""

from __future__ import annotations

import re

import pytest

from .conftest import MODULES, TERRAFORM_DIR, TF_DIRS, parse_hcl, run

pytestmark = pytest.mark.infra


def test_fmt(terraform_bin, tf_env):
    res = run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", "-no-color"], cwd=TERRAFORM_DIR, env=tf_env
    )
    assert res.returncode == 0, f"terraform fmt found unformatted files:\n{res.output}"


@pytest.mark.parametrize("rel", TF_DIRS)
def test_init_and_validate(rel, tf_workspace, terraform_bin, tf_env):
    work, inits = tf_workspace
    assert inits[rel].returncode == 0, inits[rel].output
    res = run([terraform_bin, "validate", "-no-color"], cwd=work / rel, env=tf_env)
    assert res.returncode == 0, res.output
    assert "Warning" not in res.stdout + res.stderr, f"validate printed warnings:\n{res.output}"


@pytest.mark.parametrize("rel", TF_DIRS)
def test_terraform_test(rel, tf_workspace, terraform_bin, tf_env):
    work, inits = tf_workspace
    assert inits[rel].returncode == 0, inits[rel].output
    assert list((work / rel / "tests").glob("*.tftest.hcl")), f"{rel} has no tests/*.tftest.hcl"
    res = run([terraform_bin, "test", "-no-color"], cwd=work / rel, env=tf_env)
    assert res.returncode == 0, res.output
    summary = re.search(r"Success! (\d+) passed, 0 failed", res.stdout)
    assert summary and int(summary.group(1)) > 0, res.output


@pytest.mark.parametrize("module", MODULES)
def test_module_layout(module, tools_python):
    """terraform-aws-modules conventions: the four files, a README, typed and described variables."""
    mod = TERRAFORM_DIR / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (mod / name).is_file(), f"{module}/{name} is missing"
    versions = (mod / "versions.tf").read_text()
    assert re.search(r'version\s*=\s*"~> 5\.100"', versions), f"{module} must pin hashicorp/aws ~> 5.100"
    variables = parse_hcl(tools_python, mod / "variables.tf").get("variable", [])
    assert variables, f"{module} declares no variables"
    for block in variables:
        for name, spec in block.items():
            assert spec.get("description"), f"{module}: variable {name} has no description"
            assert "type" in spec, f"{module}: variable {name} has no type"
    outputs = parse_hcl(tools_python, mod / "outputs.tf").get("output", [])
    for block in outputs:
        for name, spec in block.items():
            assert spec.get("description"), f"{module}: output {name} has no description"


@pytest.mark.parametrize("env", sorted(p.name for p in (TERRAFORM_DIR / "envs").iterdir() if p.is_dir()))
def test_env_backend(env):
    """Each environment has its own S3 state with native locking."""
    versions = (TERRAFORM_DIR / "envs" / env / "versions.tf").read_text()
    assert 'backend "s3"' in versions
    assert re.search(r"use_lockfile\s*=\s*true", versions)
    assert re.search(r"encrypt\s*=\s*true", versions)
    assert f'key          = "hdp/{env}/terraform.tfstate"' in versions


@pytest.mark.parametrize("env", sorted(p.name for p in (TERRAFORM_DIR / "envs").iterdir() if p.is_dir()))
def test_env_is_thin(env):
    """An environment only calls modules/platform with its values: no resources, no other modules."""
    main = (TERRAFORM_DIR / "envs" / env / "main.tf").read_text()
    assert re.findall(r'^module "(\w+)"', main, re.M) == ["platform"]
    assert 'source = "../../modules/platform"' in main
    assert re.search(rf'^\s*environment\s*=\s*"{env}"', main, re.M), (
        f"envs/{env} must set environment = {env!r}"
    )
    assert not re.search(r"^(resource|data) ", main, re.M), f"envs/{env}/main.tf declares resources"
