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


def start_from(model: torch.nn.Module, path: str | Path) -> list[str]:
    """Load a trained model's weights as the start of a larger one (`init_weights`): every tensor must fit a
    layer of `model`, whose own extra layers keep their initial values. Returns the names of those new layers'
    tensors, so a run can say what it did not inherit."""
    try:
        missing, unexpected = model.load_state_dict(load_state_dict(path), strict=False)
    except RuntimeError as exc:  # a tensor whose shape differs
        raise ValueError(f"{path}: weights do not fit this model: {str(exc).splitlines()[-1].strip()}") from None
    if unexpected:
        raise ValueError(f"{path}: weights do not fit this model; unknown tensors such as {unexpected[:3]}")
    return list(missing)
