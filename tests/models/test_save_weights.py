"""Weights are replaced whole or not at all: a kill during a save keeps the previous file loadable."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from facetrust.models import checkpoint


def test_an_interrupted_save_keeps_the_previous_weights(tmp_path, monkeypatch):
    path = tmp_path / "best.safetensors"
    first = nn.Linear(4, 2)
    checkpoint.save_weights(path, first)

    def killed_while_writing(tensors: dict, filename: str) -> None:
        Path(filename).write_bytes(b"\x00" * 16)  # a truncated file, then the process is stopped
        raise KeyboardInterrupt

    monkeypatch.setattr("safetensors.torch.save_file", killed_while_writing)  # save_weights imports it per call
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_weights(path, nn.Linear(4, 2))

    kept = load_file(str(path))
    assert list(tmp_path.iterdir()) == [path]  # the truncated temporary file is gone too
    assert torch.equal(kept["weight"], first.weight.detach())
