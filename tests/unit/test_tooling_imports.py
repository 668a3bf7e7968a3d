"""The benchmarks and scripts import cleanly: a rename in the app or the test harness that
they depend on fails here, not the next time someone runs `make bench` or `make screenshots`.

Each file runs in a fresh interpreter (its top level, not its main()): some set environment
variables or settings for themselves, which must not leak into the rest of the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("benchmarks/*.py"), *ROOT.glob("scripts/*.py")])
RUN_TOP_LEVEL = (
    "import runpy, sys; sys.path[:0] = sys.argv[2:]; "
    "runpy.run_path(sys.argv[1], run_name='imported_by_test')"
)


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_module_imports(path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_TOP_LEVEL,
            str(path),
            str(ROOT),
            str(ROOT / "scripts"),
            str(ROOT / "benchmarks"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
