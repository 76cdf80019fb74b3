"""A video's verdict from the verdicts of its faces: link them into tracks, score each track, and let the
most suspicious track that was on screen long enough decide."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from facetrust.detection.decision import DEFAULT_UNCERTAIN_BAND, DecisionRule
from facetrust.detection.verdict import FaceVerdict, TrackVerdict, VideoVerdict, fake_segments
from facetrust.faces.stage import FacesResult
from facetrust.models.checkpoint import LoadedModel
from facetrust.video.features import track_sequences
from facetrust.video.tracks import link_tracks

if TYPE_CHECKING:  # a temporal video model is a PyTorch head: loaded (with PyTorch) only when one is used
    from facetrust.video.model import VideoModel

# A track must hold a face in this share of the sampled frames to vote: a face glimpsed in one frame (or a
# detector's false alarm) is reported but does not decide the video.
MIN_TRACK_SHARE = 0.2


def judge_video(found: FacesResult, faces: list[FaceVerdict], image_model: LoadedModel,
                video_model: VideoModel | None, rule: DecisionRule, frame_threshold: float,
                frame_features: tuple[np.ndarray, np.ndarray] | None = None) -> VideoVerdict:
    """Tracks with per-frame P(fake) and a track score judged by `rule` (`video_rule`); `faces` (in frame order)
    get their track id. Each track's segments are its runs of frames at or above `frame_threshold` (the face
    rule's threshold), so the record can say where in the clip the evidence is.

    With a temporal video model the track score is its P(fake) from the image model's frame features
    (`frame_features` when the caller has them, in the order of `faces`; otherwise computed here);
    without one it is the mean of the frames' P(fake) (`mean_of_judged_frames`).
    """
    face_at = dict(zip(found.face_positions(), faces, strict=True))
    tracks = link_tracks([[f.face.box for f in frame.faces] for frame in found.frames])
    p_frames = [np.array([face_at[m].p_fake for m in t.members]) for t in tracks]
    if video_model is None:
        sides = [[face_at[m].shorter_side for m in t.members] for t in tracks]
        scores = np.array([mean_of_judged_frames(p, s, rule) for p, s in zip(p_frames, sides, strict=True)])
        aggregation = "mean_of_frames"
    elif not video_model.reads_features:  # the frame judge: from the frames' P(fake), no feature pass
        scores = video_model.judge_p_fake(p_frames)
        aggregation = video_model.card.temporal
    else:
        scores = video_model.p_fake(track_sequences(found, image_model, video_model.emotion, tracks, frame_features))
        aggregation = video_model.card.temporal
    needed = max(1, math.ceil(MIN_TRACK_SHARE * len(found.frames)))
    longest = max((len(t.members) for t in tracks), default=0)
    verdicts = []
    for track, score in zip(tracks, scores, strict=True):
        members = [face_at[m] for m in track.members]
        for face in members:
            face.track = track.id
        emotions = [f.emotion["label"] for f in members] if all(f.emotion for f in members) else None
        times, p_frames = [f.time for f in members], [f.p_fake for f in members]
        verdicts.append(TrackVerdict(
            track.id, [f.frame_index for f in members], times, p_frames, float(score),
            rule.verdict(float(score), float(np.median([f.shorter_side for f in members])),
                         _median_noise(members)),
            votes=len(track.members) >= min(needed, longest), emotions=emotions,
            segments=fake_segments(times, p_frames, frame_threshold)))
    return VideoVerdict([(f.index, f.time) for f in found.frames], verdicts, aggregation, rule)


def _median_noise(faces: list[FaceVerdict]) -> float | None:
    """A track's grain, which a noise ceiling compares (None where the faces' grain was not read)."""
    noise = [f.noise for f in faces if f.noise is not None]
    return float(np.median(noise)) if noise else None


def mean_of_judged_frames(p_fake: np.ndarray, face_sides: list[float], rule: DecisionRule) -> float:
    """The mean P(fake) of the frames whose face is at least the smallest face the model judges: a smaller face's
    score is unreliable (its own verdict is `uncertain`), so it counts only in a track with no larger face, which
    its median face then makes `uncertain` too."""
    judged = np.array([not rule.too_small(side) for side in face_sides], dtype=bool)
    return float(p_fake[judged].mean() if judged.any() else p_fake.mean())


def video_rule(image_model: LoadedModel, video_model: VideoModel | None) -> DecisionRule:
    """The video decision rule before any override: the video model's threshold (and band, if its card chose
    one), or without one the image model's threshold (a track's score is then the mean of its frames' P(fake),
    on the image model's scale); a track whose median face is smaller than its frame model's smallest judged face
    is uncertain."""
    if video_model is None:
        return DecisionRule.of_faces(image_model.card)
    card = video_model.card
    band = DEFAULT_UNCERTAIN_BAND if card.uncertain_band is None else card.uncertain_band
    return DecisionRule.of_faces(video_model.image_model.card, card.threshold, band)
