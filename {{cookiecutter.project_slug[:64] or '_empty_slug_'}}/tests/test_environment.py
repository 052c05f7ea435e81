"""The environment the tests run in matches the locks."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_env_passes_here() -> None:
    """check-env finds no drift in the env the tests run in."""
    run = subprocess.run(
        [sys.executable, "-m", "tools", "check-env", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    failed = [check for check in report["checks"] if check["status"] == "FAIL"]
    assert run.returncode == 0, failed
