"""Loading weight files without unpickling arbitrary objects."""

from __future__ import annotations

from pathlib import Path

import torch


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """safetensors, or a PyTorch file read with weights_only=True (tensors only, no code)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: weight file not found")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    return state
