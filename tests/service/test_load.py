"""A small run of the load benchmark: concurrent clients against a real server, nothing lost."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_test.py"


def test_concurrent_uploads_are_all_answered_and_stored_once(shared_data):
    run = subprocess.run([sys.executable, str(BENCH), "--data", str(shared_data / "faces/k140/test/real"),
                          "--uploads", "24", "--clients", "8", "--max-pending", "2", "--json"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["answered_200"] == 24 and summary["stored_rows"] == 24 and summary["nothing_lost"]
    assert summary["requests_refused_429"] > 0  # 8 clients against 2 slots: the queue bound was exercised
