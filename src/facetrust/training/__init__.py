"""Training detectors: configuration, the training loop, resumable checkpoints."""

from facetrust.training.trainer import TrainConfig, read_config, train

__all__ = ["TrainConfig", "read_config", "train"]
