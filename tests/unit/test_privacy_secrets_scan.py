"""No secret in the repository: detect-secrets scans every file git knows of (tracked, or new and not
ignored) against the reviewed baseline, .secrets.baseline. A finding that is not in the baseline fails; so
does a baseline entry nobody reviewed. To accept a false positive after looking at it:

    detect-secrets scan $(git ls-files -co --exclude-standard) --baseline .secrets.baseline
    detect-secrets audit .secrets.baseline        # mark each new finding: not a secret
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from detect_secrets.core import baseline as ds_baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / ".secrets.baseline"


def _scan(files: list[str], config: dict, cwd: Path) -> SecretsCollection:
    import os

    here = os.getcwd()
    os.chdir(cwd)  # the baseline names files relative to the repository root
    try:
        with transient_settings(config):
            found = SecretsCollection()
            for name in files:
                found.scan_file(name)
        return found
    finally:
        os.chdir(here)


def _config(doc: dict) -> dict:
    return {"plugins_used": doc["plugins_used"], "filters_used": doc["filters_used"]}


def test_the_repository_holds_no_secret_beyond_the_reviewed_baseline():
    doc = json.loads(BASELINE.read_text())
    unreviewed = [
        f"{name}:{r['line_number']} ({r['type']})"
        for name, results in doc["results"].items()
        for r in results
        if r.get("is_secret") is not False
    ]
    assert not unreviewed, f"findings nobody reviewed in .secrets.baseline: {unreviewed}"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    files = [f for f in files if f != BASELINE.name and (ROOT / f).is_file()]
    assert len(files) > 100
    with transient_settings(_config(doc)):
        known = ds_baseline.load(doc, str(BASELINE))
    new = _scan(files, _config(doc), ROOT) - known
    findings = [f"{name}:{s.line_number} ({s.type})" for name, s in new]
    assert not findings, f"possible secrets (remove them, or review them into .secrets.baseline): {findings}"


def test_the_scanner_finds_a_planted_secret(tmp_path):
    doc = json.loads(BASELINE.read_text())
    planted = tmp_path / "settings.py"
    key, password = "AKIA" + "Z7QWERTYUIOPASDF", "Xk9" + "mQ2vLp7wRt4z"  # split: this file holds neither
    planted.write_text(
        f'AWS_ACCESS_KEY_ID = "{key}"\n'
        f'HDP_WAREHOUSE_DSN = "postgresql://loader:{password}@warehouse.internal:5432/hdp"\n'
    )
    found = _scan([planted.name], _config(doc), tmp_path)
    types = {s.type for _, s in found}
    assert "AWS Access Key" in types and "Basic Auth Credentials" in types
