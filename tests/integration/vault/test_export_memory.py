"""Taking everything never holds the vault in memory: a 60 MiB vault exported over HTTP adds
less than 64 MiB to the process (server and client together). The 300 MiB figure is in
bench/README.md (bench/export.py, too slow for the suite)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
MAX_EXTRA_MIB = 64


def test_a_60_mib_export_stays_under_64_mib_of_extra_memory() -> None:
    # A process of its own: its peak RSS is the export's alone, not this test run's.
    done = subprocess.run(
        [sys.executable, "-m", "bench.export", "--files", "1", "--mib", "60", "--json"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["zip_bytes"] > 60 * 1024 * 1024
    assert figures["extra_mib"] < MAX_EXTRA_MIB, figures
