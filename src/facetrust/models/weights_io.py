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


def interpolate(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """(1 - alpha) x base + alpha x tuned, tensor by tensor (WiSE-FT, Wortsman et al., CVPR 2022): a model fine-tuned
    from `base` and its start lie in one basin, and points between keep much of the fine-tuning's gain and of the
    start's accuracy elsewhere. Integer tensors (batch-norm's batch counter) are taken from `tuned`."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"interpolation weight {alpha}: use a number in 0-1")
    _check_same_architecture([base, tuned])
    return {k: torch.lerp(base[k], tuned[k], alpha) if tuned[k].is_floating_point() else tuned[k].clone()
            for k in tuned}


def average(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The plain mean of several models' weights, tensor by tensor (a uniform "model soup", Wortsman et al., ICML
    2022): models fine-tuned from one start stay in one basin, and their mean is often better than each, at the cost
    of one model. Integer tensors (batch-norm's batch counter) are taken from the first."""
    if not states:
        raise ValueError("no models to average")
    _check_same_architecture(states)
    first = states[0]
    return {k: torch.stack([s[k].float() for s in states]).mean(0).to(first[k].dtype) if first[k].is_floating_point()
            else first[k].clone() for k in first}


def _check_same_architecture(states: list[dict[str, torch.Tensor]]) -> None:
    first = states[0]
    if any(s.keys() != first.keys() or any(s[k].shape != first[k].shape for k in first) for s in states[1:]):
        raise ValueError("the models are not the same architecture: their tensors differ in name or shape")
