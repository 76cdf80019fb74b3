"""The scan on Ray (a local Ray instance with 2 CPUs) gives exactly the local pipeline's results."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from facetrust.batch.local import scan_many
from facetrust.batch.ray_engine import scan_on_ray
from facetrust.cli import app
from facetrust.detection.scanner import ScanSettings
from facetrust.errors import MediaError
from facetrust.store import ResultStore

ray = pytest.importorskip("ray")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def local_ray():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_scan_equals_the_local_scan_in_input_order(local_ray, bad_inputs):
    settings = ScanSettings(frames=4)
    images = sorted(EXAMPLES.glob("*.jpg"))
    paths = [images[0], bad_inputs / "truncated.jpg", *images[1:], bad_inputs / "no_face.jpg"]
    local = list(scan_many(settings.scanner(), paths))
    distributed = list(scan_on_ray(settings, paths, workers=2, batch_size=3))
    assert len(distributed) == len(paths)
    for mine, theirs in zip(local, distributed, strict=True):
        assert type(mine) is type(theirs)
        if isinstance(mine, MediaError):
            assert (mine.source, mine.problem) == (theirs.source, theirs.problem)
            continue
        assert (mine.input, mine.sha256, mine.verdict) == (theirs.input, theirs.sha256, theirs.verdict)
        assert [f.box for f in mine.faces] == [f.box for f in theirs.faces]
        assert np.allclose([f.p_fake for f in mine.faces], [f.p_fake for f in theirs.faces], atol=1e-6)


def test_ray_scan_from_the_cli_stores_and_resumes(local_ray, tmp_path):
    db = f"sqlite:///{tmp_path / 'scans.db'}"
    runner = CliRunner()
    args = ["scan", str(EXAMPLES), "--engine", "ray", "--workers", "2", "--db", db, "--json", "-"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    records = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(records) == 7 and not any(r["stored"]["cached"] for r in records)
    again = runner.invoke(app, args)
    assert all(json.loads(line)["stored"]["cached"] for line in again.stdout.splitlines())
    assert ResultStore(db).count() == 7
