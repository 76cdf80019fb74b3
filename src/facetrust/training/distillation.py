"""Knowledge distillation: a student detector also learns a trained teacher's calibrated P(fake).

Why: an ensemble of two networks generalises better than either (docs/DETECTOR.md, "Candidate L") but costs
two forward passes a face; a single network taught to give the ensemble's answers on the same augmented
crops can keep much of that at one network's cost (Hinton et al., 2015). The teacher scores each training
view exactly as it scans (its own preprocessing, test-time views and temperature), so the student imitates
the shipped model, not some internal logit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from facetrust.errors import FacetrustError
from facetrust.faces.face_crop import FaceCrop
from facetrust.models.checkpoint import LoadedModel, load_model


class Distillation:
    """The teacher and how much its answers weigh in the student's loss (the rest is the hard labels')."""

    def __init__(self, teacher: LoadedModel, weight: float) -> None:
        if teacher.card.task != "detector":
            raise FacetrustError(f"{teacher.name}: a detector's teacher must be a detector")
        self.teacher, self.weight = teacher, weight

    @classmethod
    def from_folder(cls, folder: str | Path, weight: float, crop: FaceCrop) -> Distillation:
        """The teacher in `folder`, refused unless its face crops are the student's (else the two would see
        different faces and the teacher's answers would not be about the student's input)."""
        teacher = load_model(folder)
        if teacher.card.faces != crop:
            raise FacetrustError(f"teacher {folder}: its face crops ({teacher.card.faces.model_dump()}) differ from "
                                 f"the recipe's ({crop.model_dump()})")
        return cls(teacher, weight)

    @property
    def provenance(self) -> dict:
        """What the student's card records of its teacher: the weights themselves by sha256, not only a path."""
        return {"name": self.teacher.name, "version": self.teacher.version, "sha256": self.teacher.weights_sha256}

    def loss(self, hard_loss: torch.Tensor, logits: torch.Tensor, views: list[np.ndarray]) -> torch.Tensor:
        """The student's loss on a batch: the hard-label loss and the cross-entropy against the teacher's
        calibrated P(fake) for the same `views`, mixed by `weight`."""
        soft = torch.from_numpy(self.teacher.p_fake(views)).to(logits.dtype)
        return (1.0 - self.weight) * hard_loss + self.weight * F.binary_cross_entropy_with_logits(logits, soft)
