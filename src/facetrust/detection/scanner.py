"""The scan pipeline: decode → faces (with the model's own crop settings) → P(fake) → verdict record."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from facetrust.bundled import default_model_path, default_video_model_path
from facetrust.detection.decision import DecisionRule
from facetrust.detection.verdict import FaceVerdict, ScanResult
from facetrust.detection.video_judge import judge_video, video_rule
from facetrust.emotion.annotate import EmotionReader
from facetrust.errors import FacetrustError
from facetrust.explain import EXPLAIN_METHODS
from facetrust.faces import CropMode
from facetrust.faces.stage import FacesResult, Source, find_faces
from facetrust.media import DEFAULT_LIMITS, MediaLimits
from facetrust.media.quality import noise_level
from facetrust.models.checkpoint import LoadedModel, load_model
from facetrust.models.inference import sigmoid
from facetrust.models.routed import RoutedModel

if TYPE_CHECKING:  # a temporal video model is a PyTorch head: loaded (with PyTorch) only when one is used
    from facetrust.video.model import VideoModel

DEFAULT_FRAMES = 16


class Scanner:
    """Holds a loaded model and the face finder matching how it was trained; call `scan` per input.

    `threshold` (faces) and `video_threshold` (videos) default to the ones chosen on validation data and stored
    in the image and video model cards; each overrides only its own verdicts. `uncertain_band` widens both
    into a band where the verdict is "uncertain" rather than a guess. `smallest_face` replaces the card's smallest
    judged face (0: judge every face, however small) and `noise_ceiling` its grain ceiling (0: a face may be called
    real however grainy); the record marks each as the user's. `agree` (routed models) calls a photo's face fake
    only if the soft branch, asked for a second opinion on that face, calls it fake too; otherwise it is uncertain
    (docs/VERDICT_SCHEMA.md, "Agreement": coded photos fool the sharp branch, not the soft one).
    `face_mode` overrides the card's crop mode ("whole": every input is one face crop, no detector).
    `emotion`, an expression model (folder or loaded), adds each face's expression to the record.
    `video_model` scores the face tracks of videos: a temporal model folder (or loaded), False for the
    mean of the frames, None for the bundled one when the image model is the bundled detector. A video model
    names the image model it reads (its frame model); when that is not `model`, video faces are scored by the
    frame model (with its own threshold) and photos by `model`, so a video model trained on a detector
    fine-tuned for video frames serves beside the photo detector. Both must crop faces the same way.
    `frames` sampled per video default to the video model's (else 16); with `fps`, one frame every
    1/fps seconds, `frames` at most. `explain` (a method of
    `facetrust.explain.EXPLAIN_METHODS`) attaches a heatmap and the crop to every face of an image and to
    the most suspicious face of a video.
    """

    def __init__(self, model: str | Path | LoadedModel | None = None, threshold: float | None = None,
                 uncertain_band: float | None = None, detector: str | None = None,
                 all_faces: bool = True, frames: int | None = None, limits: MediaLimits = DEFAULT_LIMITS,
                 face_mode: CropMode | None = None, emotion: str | Path | LoadedModel | None = None,
                 video_model: str | Path | VideoModel | Literal[False] | None = None,
                 explain: str | None = None, fps: float | None = None, provenance: bool = True,
                 video_threshold: float | None = None, smallest_face: int | None = None,
                 noise_ceiling: float | None = None, agree: bool = False) -> None:
        self.model = model if isinstance(model, LoadedModel) else load_model(model or default_model_path())
        card = self.model.card
        self.emotion = EmotionReader(emotion, card.faces.margin) if emotion else None
        self.decision = DecisionRule.of_faces(card)
        self.finder = self.model.face_finder(all_faces, detector, face_mode)
        self.video_model = self._video_model(video_model, bundled_detector=model is None)
        self.frame_model = self._frame_model()
        self.frame_decision = DecisionRule.of_faces(self.frame_model.card)
        self.video_decision = video_rule(self.model, self.video_model)
        self._override(threshold, uncertain_band, video_threshold, smallest_face, noise_ceiling, agree)
        self.frames = frames or (self.video_model.card.frames if self.video_model else DEFAULT_FRAMES)
        self.limits = limits
        self.fps = fps
        self.provenance = provenance  # read what each file declares about its origin (C2PA, XMP, generators)
        if explain is not None and explain not in EXPLAIN_METHODS:
            raise FacetrustError(f"unknown explanation method {explain!r}; choose from {', '.join(EXPLAIN_METHODS)}")
        self.explain = explain

    def _video_model(self, video_model: str | Path | VideoModel | Literal[False] | None,
                     bundled_detector: bool) -> VideoModel | None:
        if video_model is None:
            bundled = default_video_model_path()
            video_model = bundled if bundled_detector and bundled.is_dir() else False
        if video_model is False:
            return None
        from facetrust.video.model import VideoModel, load_video_model

        return video_model if isinstance(video_model, VideoModel) else load_video_model(video_model, loaded=self.model)

    def _frame_model(self) -> LoadedModel:
        """The image model that scores video faces: the video model's own (the same object as `self.model` when
        the video model reads the photo detector)."""
        frame_model = self.video_model.image_model if self.video_model else self.model
        if frame_model is not self.model and frame_model.card.faces != self.model.card.faces:
            raise FacetrustError(f"the video model's frame model {frame_model.name} {frame_model.version} crops "
                                 f"faces differently from the image model {self.model.name} "
                                 f"{self.model.version}; scan videos with --model set to the frame model")
        return frame_model

    @property
    def model_info(self) -> dict:
        card = self.model.card
        info = {"name": card.name, "version": card.version, "architecture": card.architecture,
                **self.decision.to_dict(), "smallest_face": self.decision.smallest_face,
                "smallest_face_source": self.decision.floor_source, "noise_ceiling": self.decision.noise_ceiling,
                "noise_ceiling_source": self.decision.ceiling_source, "agree": self.decision.agree,
                "temperature": round(card.temperature, 4), "tta": card.tta, "backend": self.model.backend,
                "faces": self.finder_info}
        video = self.video_model.info if self.video_model else {"aggregation": "mean_of_frames"}
        if self.frame_model is not self.model:
            frames = self.frame_model.card
            video["frame_model"] = {"name": frames.name, "version": frames.version, "architecture": frames.architecture,
                                    **self.frame_decision.to_dict(), "temperature": round(frames.temperature, 4)}
        info["video"] = (video | self.video_decision.to_dict() | {"frames": self.frames}
                         | ({"fps": self.fps} if self.fps else {}))
        return info | {"emotion": self.emotion.info} if self.emotion else info

    @property
    def finder_info(self) -> dict:
        """The face finder and crop mode that made the crops, and whether they are the card's or the user's."""
        finder, card = self.finder, self.model.card.faces
        own = (finder.detector.name, finder.mode) == (card.detector, card.mode)
        return {"detector": finder.detector.name, "mode": finder.mode, "source": "model" if own else "override"}

    def with_decision(self, threshold: float | None = None, uncertain_band: float | None = None,
                      video_threshold: float | None = None, smallest_face: int | None = None,
                      noise_ceiling: float | None = None, agree: bool | None = None) -> Scanner:
        """The same loaded models and face finder with overridden decision rules (cheap: nothing is reloaded)."""
        other = copy.copy(self)
        other._override(threshold, uncertain_band, video_threshold, smallest_face, noise_ceiling, agree)
        return other

    def _override(self, threshold: float | None, uncertain_band: float | None, video_threshold: float | None,
                  smallest_face: int | None, noise_ceiling: float | None, agree: bool | None = None) -> None:
        """What the user set, over the three rules: `threshold` judges faces (photos' and videos'),
        `video_threshold` videos; the band, the face floor and the grain ceiling apply to all three; `agree`
        to photos' faces only (it was measured on photos; a video's tracks are judged by their frames' mean)."""
        if agree and not isinstance(self.model, RoutedModel):
            raise FacetrustError(f"--agree asks a routed model's soft branch for a second opinion; "
                                 f"{self.model.name} {self.model.version} ({self.model.card.architecture}) has none")
        limits = {"smallest_face": smallest_face, "noise_ceiling": noise_ceiling}
        self.decision = self.decision.overridden(threshold, uncertain_band, agree=agree, **limits)
        self.frame_decision = self.frame_decision.overridden(threshold, uncertain_band, **limits)
        self.video_decision = self.video_decision.overridden(video_threshold, uncertain_band, **limits)

    def with_emotion(self, reader: EmotionReader | None) -> Scanner:
        """The same detector and decision rule, reading expressions with `reader` (or not, with None)."""
        other = copy.copy(self)
        other.emotion = reader
        return other

    def with_explain(self, method: str | None) -> Scanner:
        """The same scanner, attaching heatmaps by `method` (None: none)."""
        other = copy.copy(self)
        other.explain = method
        return other

    def scan(self, source: Source, name: str | None = None) -> ScanResult:
        """Scan one image or video; a MediaError names the input if it cannot be read."""
        found = find_faces(source, self.finder, name=name, frames=self.frames, limits=self.limits, fps=self.fps,
                           provenance=self.provenance)
        return self.judge([found])[0]

    def judge(self, inputs: list[FacesResult]) -> list[ScanResult]:
        """Classify the faces of several inputs in one batch; each input's classify time is its share of
        the batch's time (by number of faces)."""
        located = [(k, frame, face) for k, found in enumerate(inputs) for frame in found.frames for face in frame.faces]
        started = time.perf_counter()
        p_fake, evidence = np.zeros(len(located)), [None] * len(located)
        frame_features: dict[int, tuple[np.ndarray, float]] = {}  # row -> (features, logit) for temporal models
        for model, rows, with_features in self._scorers([inputs[k].kind for k, _, _ in located]):
            p, shares, features, logits = self._score(model, [located[row][2].crop for row in rows], with_features)
            p_fake[rows] = p
            for position, row in enumerate(rows):
                evidence[row] = shares[position]
                if features is not None:
                    frame_features[row] = (features[position], logits[position])
        ms_per_face = 1000 * (time.perf_counter() - started) / max(len(located), 1)
        started = time.perf_counter()
        emotions = self.emotion.read([face for _, _, face in located],
                                     [(inputs[k].width, inputs[k].height) for k, _, _ in located]
                                     ) if self.emotion else [None] * len(located)
        emotion_ms_per_face = 1000 * (time.perf_counter() - started) / max(len(located), 1)
        opinions = self._second_opinions(inputs, located, p_fake)
        verdicts: list[list[FaceVerdict]] = [[] for _ in inputs]
        for row, ((k, frame, face), p, emotion, shares) in enumerate(zip(located, p_fake, emotions, evidence,
                                                                          strict=True)):
            rule, noise, second = self._face_rule(inputs[k].kind), noise_level(face.crop), opinions.get(row)
            verdicts[k].append(FaceVerdict(
                box=face.face.box, detection_score=face.face.score, source=face.source, p_fake=float(p),
                verdict=rule.verdict(float(p), min(face.face.width, face.face.height), noise, second),
                landmarks=face.face.landmarks, frame_index=frame.index, time=frame.time, emotion=emotion,
                evidence=shares, noise=noise, second_opinion=second))
        started = time.perf_counter()
        explained = self._explain(inputs, verdicts, located)
        explain_ms = 1000 * (time.perf_counter() - started)
        results, start = [], 0
        for found, faces in zip(inputs, verdicts, strict=True):
            rows, start = range(start, start + len(faces)), start + len(faces)
            timings = {**found.timings_ms, "classify": ms_per_face * len(faces)}
            if self.emotion:
                timings["emotion"] = emotion_ms_per_face * len(faces)
            if self.explain:
                timings["explain"] = explain_ms * sum(f.heatmap is not None for f in faces) / max(explained, 1)
            video = None
            if found.kind == "video":
                started = time.perf_counter()
                video = judge_video(found, faces, self.frame_model, self.video_model, self.video_decision,
                                    self.frame_decision.threshold, _stacked(frame_features, rows))
                timings["temporal"] = 1000 * (time.perf_counter() - started)
            timings["total"] = sum(timings.values())
            results.append(ScanResult(found.name, found.sha256, found.kind, found.width, found.height, faces,
                                      self.model_info, timings,
                                      found.notes + _limit_notes(faces, self._face_rule(found.kind))
                                      + _agreement_notes(faces, found.kind, self.decision),
                                      found.size_bytes, video, found.provenance))
        return results

    def _second_opinions(self, inputs: list[FacesResult], located: list, p_fake: np.ndarray) -> dict[int, float]:
        """With `agree`, the soft branch's P(fake) (by row) for each photo face the sharp branch judged and would call
        fake (`RoutedModel.second_opinions`)."""
        if not self.decision.agree:
            return {}
        accused = [inputs[k].kind != "video" and self.decision.accuses(p)
                   and not self.decision.too_small(min(face.face.width, face.face.height))
                   for (k, _, face), p in zip(located, p_fake, strict=True)]
        return self.model.second_opinions([face.crop for _, _, face in located], np.array(accused, dtype=bool))

    def _face_rule(self, kind: str) -> DecisionRule:
        """The rule that judges one face of an input of this kind: video faces by the frame model's."""
        return self.frame_decision if kind == "video" else self.decision

    def _scorers(self, kinds: list[str]) -> list[tuple[LoadedModel, list[int], bool]]:
        """Which model scores which faces (by row), and whether it must give features: video faces go to the
        frame model, the rest to the image model (one group when they are the same model, so every face goes
        through it in one pass); a temporal head reads the features of its video faces (a frame judge does not)."""
        groups = ([(self.model, list(range(len(kinds))))] if self.frame_model is self.model else
                  [(self.model, [row for row, kind in enumerate(kinds) if kind != "video"]),
                   (self.frame_model, [row for row, kind in enumerate(kinds) if kind == "video"])])
        return [(model, rows, model is self.frame_model and self.video_model is not None
                 and self.video_model.reads_features and any(kinds[row] == "video" for row in rows))
                for model, rows in groups]

    @staticmethod
    def _score(model: LoadedModel, crops: list, with_features: bool) -> tuple:
        """(P(fake), branch evidence, features, logits) of these crops. One pass gives every face its P(fake), the
        temporal model its frame features and a two-branch or routed model's verdicts which branch added what."""
        if not crops:
            return np.zeros(0), [], None, None
        if model.has_branches or with_features:
            features, logits = model.features(crops)
            p_fake = sigmoid(logits, model.card.temperature)
        else:
            features, logits, p_fake = None, None, model.p_fake(crops)
        return p_fake, model.face_evidence(crops, features, p_fake), features, logits

    def _explain(self, inputs: list[FacesResult], verdicts: list[list[FaceVerdict]], located: list) -> int:
        """Heatmaps for every face of an image and the most suspicious face of a video; returns how many.
        `located` and the concatenated `verdicts` list the same faces in the same order."""
        if not self.explain:
            return 0
        from facetrust.explain import face_heatmaps  # grad-cam brings scikit-learn and matplotlib: only when asked

        flat = [v for faces in verdicts for v in faces]
        rows: dict[int, list[int]] = {}
        for row, (k, _, _) in enumerate(located):
            rows.setdefault(k, []).append(row)
        chosen = [row for k, of_input in rows.items()
                  for row in (of_input if inputs[k].kind == "image" else [max(of_input, key=lambda r: flat[r].p_fake)])]
        for model, rows_of_model, _ in self._scorers([inputs[k].kind for k, _, _ in located]):
            scored_here = set(rows_of_model)  # a face's heatmap comes from the model that scored it
            mine = [row for row in chosen if row in scored_here]
            if not mine:
                continue
            crops = [located[row][2].crop for row in mine]
            for row, crop, heatmap in zip(mine, crops, face_heatmaps(model, crops, self.explain), strict=True):
                flat[row].crop, flat[row].heatmap = crop, heatmap
        return len(chosen)


@dataclass(frozen=True)
class ScanSettings:
    """What a worker needs to build the same `Scanner` as the caller (a model path, not a loaded model)."""

    model: str | None = None
    threshold: float | None = None  # faces and images; None: the model card's
    video_threshold: float | None = None  # videos; None: the video model's card (else the image model's)
    uncertain_band: float | None = None  # None: DecisionRule's default
    frames: int | None = None
    face_mode: CropMode | None = None
    emotion: str | None = None  # an expression model folder
    video_model: str | Literal[False] | None = None  # a video model folder; False: mean of frames; None: bundled
    explain: str | None = None  # a heatmap method
    fps: float | None = None  # sample videos at this rate (frames = the cap)
    provenance: bool = True  # read C2PA, XMP and generator metadata beside the pixels
    smallest_face: int | None = None  # judge faces down to this size (px; 0: all); None: the model card's floor
    agree: bool = False  # routed models: a photo's face is fake only if the soft branch agrees, else uncertain
    noise_ceiling: float | None = None  # call faces real up to this grain (0: any); None: the model card's ceiling
    detector: str | None = None  # the face finder; None: the model card's

    def scanner(self) -> Scanner:
        return Scanner(**asdict(self))


def _stacked(frame_features: dict[int, tuple[np.ndarray, float]], rows: range) -> tuple[np.ndarray, np.ndarray] | None:
    """The (features, logits) of these rows for `judge_video`, or None if they were not computed."""
    if not rows or any(row not in frame_features for row in rows):
        return None
    return (np.stack([frame_features[row][0] for row in rows]), np.array([frame_features[row][1] for row in rows]))


def _limit_notes(faces: list[FaceVerdict], rule: DecisionRule) -> list[str]:
    """Why faces beyond what the model was shown to judge are uncertain (too small; too grainy to be called real),
    one note per limit and input."""
    notes = []
    small = [f for f in faces if rule.too_small(f.shorter_side)]
    if small:
        notes.append(f"{len(small)} face(s) of {_span([f.shorter_side for f in small], ' px')}, smaller than "
                     f"{rule.smallest_face} px, the smallest face the model was shown to judge: their verdicts are "
                     "uncertain whatever their p_fake")
    grainy = [f for f in faces if not rule.too_small(f.shorter_side) and rule.too_grainy(f.noise)
              and rule.verdict(f.p_fake) == "real"]
    if grainy:
        notes.append(f"{len(grainy)} face(s) of grain {_span([f.noise for f in grainy], '', 1)}, over the model's "
                     f"noise ceiling of {rule.noise_ceiling:g}: their p_fake says real, but grain hides most fakes "
                     "from this model, so their verdicts are uncertain")
    return notes


def _agreement_notes(faces: list[FaceVerdict], kind: str, rule: DecisionRule) -> list[str]:
    """With --agree: which accusations the second opinion withheld, or that a video is judged without it."""
    if not rule.agree:
        return []
    if kind == "video":
        return ["--agree asks a second opinion on photos' faces only (it was measured on photos): this video's faces "
                "and tracks are judged without it"]
    withheld = [f for f in faces if f.second_opinion is not None and not rule.accuses(f.second_opinion)]
    if not withheld:
        return []
    return [f"{len(withheld)} face(s) of P(fake) {_span([f.p_fake for f in withheld], '', 2)} that the sharp branch "
            f"calls fake, but the soft branch, asked for a second opinion (--agree), does not (its P(fake) "
            f"{_span([f.second_opinion for f in withheld], '', 2)}): their verdicts are uncertain, not fake"]


def _span(values: list[float], unit: str, digits: int = 0) -> str:
    """The range of some faces' sizes or grain as a note states it: "88 px", or "2.6-9.6"."""
    low, high = round(min(values), digits), round(max(values), digits)
    return f"{low:g}{unit}" if low == high else f"{low:g}-{high:g}{unit}"
