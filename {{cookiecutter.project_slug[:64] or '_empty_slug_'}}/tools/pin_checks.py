#!/usr/bin/env python3
"""Run every pin check of tools/: `invoke lint --pins` (offline, instant).

The same scripts pre-commit runs one by one as hooks (.pre-commit-config.yaml).
Each runs even when an earlier one failed, so one call lists every problem;
exit 1 when any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence

from project import ENV_MANAGER, EXIT_OK, ROOT, ToolError

CHECKS = ("lock_fresh", "pins_exact", "python_agrees", "hooks_agree") + (
    ("conda_agrees",) if ENV_MANAGER == "conda" else ()
)


def main(argv: Sequence[str] | None = None) -> int:
    summary = __doc__.splitlines()[0]
    argparse.ArgumentParser(prog="invoke lint --pins", description=summary).parse_args(argv)
    failed = [
        check
        for check in CHECKS
        if subprocess.run(
            [sys.executable, str(ROOT / "tools" / f"{check}.py")], cwd=ROOT, check=False
        ).returncode
    ]
    if failed:
        raise ToolError(f"pin checks failed: {', '.join(failed)}; fix the lines above")
    return EXIT_OK


if __name__ == "__main__":
    from project import run_main

    run_main(main)
