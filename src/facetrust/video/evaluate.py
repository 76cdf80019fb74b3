"""Evaluating a trained video model on a folder of real/fake videos, beside the frame aggregates."""

from __future__ import annotations

from pathlib import Path

from facetrust.errors import FacetrustError
from facetrust.models.inference import sigmoid
from facetrust.video.identities import discover_videos
from facetrust.video.model import VideoModel
from facetrust.video.report import aggregate_scores, aggregate_thresholds, video_report, write_report
from facetrust.video.training import read_main_tracks


def evaluate_video(model: VideoModel, data: str | Path, out: Path | None = None, progress: bool = True) -> dict:
    """The model's video-level metrics (top-level keys) and, under `aggregations`, the same for the image
    model's mean and max of per-frame P(fake) on the same videos; per manipulation method when file names
    tell it. Videos the model was trained on are counted in `seen_in_training` (their scores flatter it)."""
    image_model = model.image_model
    videos = read_main_tracks(discover_videos(data), image_model, model.card.frames, progress)
    if not videos.samples:
        raise FacetrustError(f"{data}: no video with a face to evaluate ({len(videos.skipped)} skipped)")
    image_p = [sigmoid(t.logits, image_model.card.temperature) for t in videos.tracks]
    scores = aggregate_scores(image_p, videos.tracks)
    thresholds = aggregate_thresholds(scores, image_model.card.threshold)
    name = f"{model.card.temporal} (model)"
    scores = {name: model.p_fake(videos.tracks), **scores}
    thresholds[name] = model.card.threshold
    report = video_report(videos.samples, scores, thresholds, image_p, image_model.card.threshold)
    trained_on = set(model.card.videos_sha256)
    seen = sum(digest in trained_on for digest in videos.digests)
    main = report["aggregations"][name]
    result = {key: main[key] for key in ("video_auc", "ap", "accuracy", "eer", "precision", "recall", "f1",
                                         "threshold", "confusion", "n_real", "n_fake")}
    result |= {"frame_auc": report["frame_auc"], "per_method": main["per_method"], "model": model.info,
               "seen_in_training": seen, "skipped": videos.skipped, **report}
    if seen:
        result["note"] = (f"{seen} of {len(videos.samples)} videos were used to train this model: its scores on "
                          "them are not a held-out measurement (see the model card's cross_validation)")
    if out:
        write_report(out, result, videos.labels, scores)
    return result
