"""Data-parallel training: two processes under torchrun take the same steps as one process."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from safetensors.numpy import load_file

from facetrust.models.checkpoint import load_model
from facetrust.service.launch import free_port


def run_training(launcher: list[str], config: Path, out: Path) -> None:
    done = subprocess.run([*launcher, "-m", "facetrust", "train", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_process_ddp_training_matches_one_process(shared_data, tmp_path):
    # No dropout, so the only randomness is the seeded order and augmentation, shared by both runs;
    # batches of 8 split 4 + 4, so the averaged gradient equals the whole batch's.
    config = tmp_path / "ffnn.yaml"
    config.write_text(yaml.safe_dump({
        "data": str(shared_data / "faces/k140"), "out": "unused", "model": "ffnn", "epochs": 2, "batch_size": 8,
        "lr": 1e-3, "max_per_split": 16, "model_options": {"dropout": 0.0}}))
    run_training([sys.executable], config, tmp_path / "single")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                "--master-port", str(free_port())]
    run_training(torchrun, config, tmp_path / "ddp")
    single, ddp = (load_file(str(tmp_path / run / "best.safetensors")) for run in ("single", "ddp"))
    assert single.keys() == ddp.keys()
    for name in single:  # equal up to the order floating-point sums are taken in
        np.testing.assert_allclose(ddp[name], single[name], rtol=1e-3, atol=1e-5, err_msg=name)
    cards = [load_model(tmp_path / run / "model", backend="torch").card for run in ("single", "ddp")]
    assert cards[0].metrics["val"]["roc_auc"] == pytest.approx(cards[1].metrics["val"]["roc_auc"], abs=1e-6)
    assert cards[0].threshold == pytest.approx(cards[1].threshold, abs=1e-4)
