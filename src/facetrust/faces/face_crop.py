"""How a face crop is made, as one value: which detector finds the face, the crop mode, size and margin.

A model card, a training recipe and a crop dataset all describe their crops with it, so a value is checked
once, where it is read (`FaceCrop.model_validate` names the bad field), and a finder is built from it the
same way everywhere (`finder`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from facetrust.faces.detectors import known_detector
from facetrust.faces.finder import CropMode, FaceFinder


class FaceCrop(BaseModel):
    """The face detector, the crop mode (auto, detect, whole), the crop size in pixels and the margin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    detector: str
    mode: CropMode
    size: int = Field(gt=0)
    margin: float = Field(ge=-0.5)  # below 0: tighter than the aligned face square (FER-2013's framing is -0.3)

    @field_validator("detector")
    @classmethod
    def _known_detector(cls, name: str) -> str:
        return known_detector(name)

    def finder(self, all_faces: bool, detector: str | None = None, mode: CropMode | None = None) -> FaceFinder:
        """A face finder making these crops (detector and mode overridable, e.g. mode "whole" for inputs that
        are face crops already)."""
        return FaceFinder(detector or self.detector, mode=mode or self.mode, size=self.size, margin=self.margin,
                          all_faces=all_faces)
