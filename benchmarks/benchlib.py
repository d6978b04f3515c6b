"""What the benchmarks that time whole commands share: where the repository and its venv are,
and one timed run of a command that fails loudly."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"


def timed(command: list[str]) -> tuple[float, str]:
    """Wall time of COMMAND (run from the repository root) and its output; a command that
    fails ends the benchmark with its output, never a figure."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    return elapsed, result.stdout
