"""Training detectors: configuration, the training loop, resumable checkpoints."""

from facetrust.training.recipe import TrainConfig, read_config
from facetrust.training.trainer import train

__all__ = ["TrainConfig", "read_config", "train"]
