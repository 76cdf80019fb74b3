"""Training detectors: configuration, the training loop, resumable checkpoints."""

from facetrust.training.trainer import TrainConfig, train

__all__ = ["TrainConfig", "train"]
