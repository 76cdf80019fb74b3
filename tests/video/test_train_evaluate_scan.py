"""End to end on real FaceForensics++ clips: `video train`, `video evaluate`, `scan clip.mp4 --timeline`."""

import itertools
import json
from pathlib import Path

import jsonschema
import pytest
from PIL import Image
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.detection import Scanner
from facetrust.video.model import load_video_model

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
# Three identity groups (183-253, 469-481, 585-599), so two identity-disjoint folds exist.
CLIPS = {"real": ["youtube_183", "youtube_469", "youtube_585"],
         "fake": ["Deepfakes_183_253", "FaceSwap_469_481", "Face2Face_585_599"]}


@pytest.fixture(scope="module")
def small_ffpp(shared_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ffpp")
    for label, stems in CLIPS.items():
        (root / label).mkdir()
        for stem in stems:
            (root / label / f"{stem}.mp4").symlink_to(shared_data / f"video/ffpp_c40/{label}/{stem}.mp4")
    return root


@pytest.fixture(scope="module")
def trained(small_ffpp, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("video-run")
    result = runner.invoke(app, ["video", "train", "--data", str(small_ffpp), "--out", str(out), "--temporal",
                                 "gru,mean", "--frames", "4", "--folds", "2", "--epochs", "5"])
    assert result.exit_code == 0, result.output
    return out


def test_train_cross_validates_against_frame_aggregates(trained):
    report = json.loads((trained / "report.json").read_text())
    assert set(report["aggregations"]) == {"mean_of_frames", "max_of_frames", "expression_change", "gru", "mean"}
    for block in report["aggregations"].values():
        assert block["n_real"] == 3 and block["n_fake"] == 3 and 0 <= block["video_auc"] <= 1
        assert set(block["per_method"]) == {"Deepfakes", "FaceSwap", "Face2Face"}
        assert block["per_method"]["Deepfakes"]["n_fake"] == 1 and block["per_method"]["Deepfakes"]["n_real"] == 3
    folds = report["fold_of"]
    for real, fake in zip(CLIPS["real"], CLIPS["fake"], strict=True):
        assert folds[f"{real}.mp4"] == folds[f"{fake}.mp4"]  # a fake never leaves its source person's fold
    assert set(folds.values()) == {0, 1}
    assert report["n_frames"] == 24 and (trained / "roc.png").stat().st_size > 10_000
    card = json.loads((trained / "model/model.json").read_text())
    assert card["task"] == "video" and card["temporal"] == "gru" and card["frames"] == 4
    assert len(card["videos_sha256"]) == 6 and card["image_model"]["path"]
    model = load_video_model(trained / "model")
    assert model.image_model.weights_sha256 == card["image_model"]["sha256"]


def test_evaluate_reports_the_documented_keys_and_flags_training_videos(trained, small_ffpp):
    result = runner.invoke(app, ["video", "evaluate", "--data", str(small_ffpp), "--model", str(trained / "model"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"video_auc", "frame_auc", "ap", "accuracy", "eer", "per_method", "n_real", "n_fake"} <= set(metrics)
    assert metrics["n_real"] == 3 and metrics["n_fake"] == 3
    assert metrics["seen_in_training"] == 6 and "not a held-out measurement" in metrics["note"]
    assert {"gru (model)", "mean_of_frames", "max_of_frames"} <= set(metrics["aggregations"])


def test_scan_a_real_clip_gives_tracks_a_video_verdict_and_a_timeline(trained, small_ffpp, tmp_path):
    clip = small_ffpp / "real/youtube_183.mp4"
    timeline = tmp_path / "timeline.png"
    result = runner.invoke(app, ["scan", str(clip), "--video-model", str(trained / "model"), "--timeline",
                                 str(timeline), "--json", "-"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    jsonschema.validate(record, SCHEMA)
    video = record["video"]
    assert len(video["frames"]) == 4  # the video model's frame count
    assert video["aggregation"] == "gru" and record["model"]["video"]["frames"] == 4
    assert len(video["tracks"]) >= 1 and video["deciding_track"] == video["tracks"][0]["id"]
    assert record["p_fake"] == video["p_fake"] and record["verdict"] == video["verdict"]
    assert all(face["track"] == video["tracks"][0]["id"] for face in record["faces"])
    assert Image.open(timeline).size[0] > 500


def scan_record(clip: Path, *options: str) -> dict:
    result = runner.invoke(app, ["scan", str(clip), "--uncertain-band", "0", "--json", "-", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("temporal", [True, False], ids=["video-model", "mean-of-frames"])
def test_a_threshold_override_changes_exactly_the_verdicts_it_names(trained, small_ffpp, temporal):
    clip = small_ffpp / "real/youtube_183.mp4"
    judge = ["--video-model", str(trained / "model")] if temporal else ["--mean-of-frames"]
    default = scan_record(clip, *judge)
    faces = scan_record(clip, *judge, "--threshold", "0")
    video = scan_record(clip, *judge, "--video-threshold", "0")

    def face_verdicts(record: dict) -> list[str]:
        return [face["verdict"] for face in record["faces"]]

    def judged(record: dict) -> dict:  # the video's verdicts, without the segments the face threshold draws
        return {k: v for k, v in record["video"].items() if k != "deciding_segment"} | {
            "tracks": [{k: v for k, v in t.items() if k != "segments"} for t in record["video"]["tracks"]]}

    assert set(face_verdicts(faces)) == {"fake"} and face_verdicts(video) == face_verdicts(default)
    assert judged(faces) == judged(default) and faces["model"]["video"] == default["model"]["video"]
    for track in faces["video"]["tracks"]:  # every frame is at or above a face threshold of 0: one run each
        assert [(s["start"], s["end"], s["frames"]) for s in track["segments"]] == [
            (track["times"][0], track["times"][-1], len(track["times"]))]
    assert faces["video"]["deciding_segment"]["track"] == faces["video"]["deciding_track"]
    assert faces["model"]["threshold"] == 0 and faces["model"]["threshold_source"] == "override"
    assert video["video"]["verdict"] == "fake" and video["video"]["threshold"] == 0
    assert video["video"]["threshold_source"] == video["model"]["video"]["threshold_source"] == "override"
    assert default["video"]["threshold_source"] == default["model"]["threshold_source"] == "model"
    assert video["model"]["threshold"] == default["model"]["threshold"]
    assert {default["video"]["verdict"], *face_verdicts(default)} != {"fake"}  # so the overrides changed something
    for record in (default, faces, video):
        jsonschema.validate(record, SCHEMA)


def test_mean_of_frames_is_the_fallback_without_a_temporal_model(small_ffpp):
    clip = small_ffpp / "fake/FaceSwap_469_481.mp4"
    record = Scanner(frames=3, video_model=False).scan(clip).to_dict()
    track = record["video"]["tracks"][0]
    assert record["video"]["aggregation"] == "mean_of_frames"
    assert track["p_fake"] == pytest.approx(sum(track["p_fake_frames"]) / len(track["p_fake_frames"]), abs=1e-3)
    sides = [min(f["box"][2] - f["box"][0], f["box"][3] - f["box"][1]) for f in record["faces"] if f["track"] == 1]
    floor = round(sorted(sides)[1]) + 1  # a face floor above the track's two smallest faces: only the rest count
    kept = [p for p, side in zip(track["p_fake_frames"], sides, strict=True) if side >= floor]
    floored = Scanner(frames=3, video_model=False, smallest_face=floor).scan(clip).to_dict()["video"]["tracks"][0]
    assert len(kept) == 1 and floored["p_fake"] == pytest.approx(kept[0], abs=1e-3)


def test_a_video_without_faces_is_no_face_not_an_error(trained):
    from tests.media.test_video import make_video

    scanner = Scanner(video_model=trained / "model")
    record = scanner.scan(make_video(frames=20), name="grey.mp4").to_dict()
    jsonschema.validate(record, SCHEMA)
    assert record["verdict"] == "no_face" and record["p_fake"] is None
    assert record["video"]["tracks"] == [] and len(record["video"]["frames"]) == 4


def test_without_a_bundled_video_model_a_video_is_judged_by_the_mean_of_its_frames(small_ffpp):
    from facetrust.bundled import default_video_model_path
    from facetrust.detection.scanner import DEFAULT_FRAMES

    assert not default_video_model_path().exists()  # none ships until one is trained on the bundled detector
    scanner = Scanner()
    assert scanner.video_model is None and scanner.frames == DEFAULT_FRAMES
    record = Scanner(frames=4).scan(small_ffpp / "real/youtube_469.mp4").to_dict()
    jsonschema.validate(record, SCHEMA)
    assert record["video"]["aggregation"] == "mean_of_frames"
    assert record["video"]["threshold"] == round(scanner.model.card.threshold, 4)
    result = runner.invoke(app, ["video", "evaluate", "--data", str(small_ffpp)])
    assert result.exit_code == 2 and "no video model ships" in result.output


def test_a_videos_faces_go_through_the_image_model_once(small_ffpp, trained, monkeypatch):
    from facetrust.api import find_faces
    from facetrust.detection.video_judge import judge_video

    scanner = Scanner(frames=4, video_model=trained / "model")
    found = find_faces(small_ffpp / "fake/Deepfakes_183_253.mp4", scanner.finder, frames=4)
    calls = []
    for name in ("features", "logits"):
        original = getattr(scanner.model, name)
        monkeypatch.setattr(scanner.model, name, lambda *a, _o=original, _n=name, **k: calls.append(_n) or _o(*a, **k))
    [result] = scanner.judge([found])
    assert calls == ["features"]  # P(fake) of every face and the temporal model's frame features: one pass
    second_pass = judge_video(found, result.faces, scanner.model, scanner.video_model, scanner.video_decision,
                              scanner.decision.threshold)
    assert calls == ["features", "features"]
    assert [t.p_fake for t in result.video.tracks] == pytest.approx([t.p_fake for t in second_pass.tracks], abs=1e-5)
    assert [t.p_fake_frames for t in result.video.tracks] == [t.p_fake_frames for t in second_pass.tracks]


def test_a_decoding_time_out_is_not_cached_as_the_videos_outcome(small_ffpp, monkeypatch):
    from facetrust.bundled import default_model_path
    from facetrust.errors import DecodeTimeoutError
    from facetrust.models.checkpoint import load_model
    from facetrust.video import features

    clip = small_ffpp / "real/youtube_585.mp4"
    cache = features.MainTrackCache(load_model(default_model_path()), frames=2)
    real_find = features.find_faces

    def too_slow(data, *args, name, **kwargs):
        raise DecodeTimeoutError(name, "decoding took longer than 120 s")

    monkeypatch.setattr(features, "find_faces", too_slow)
    digest, outcome = cache.get(clip)
    assert outcome == "youtube_585.mp4: decoding took longer than 120 s" and cache.cache.get(digest) is None
    monkeypatch.setattr(features, "find_faces", real_find)
    _, track = cache.get(clip)
    assert len(track) == 2 and cache.cache.get(digest) is not None


def test_frames_can_be_sampled_at_a_rate_capped_by_the_frame_count(small_ffpp):
    clip = small_ffpp / "real/youtube_183.mp4"  # 13 s
    every_two_seconds = Scanner(frames=8, fps=0.5, video_model=False).scan(clip).to_dict()
    times = [frame["time"] for frame in every_two_seconds["video"]["frames"]]
    assert len(times) == 6 and every_two_seconds["model"]["video"]["fps"] == 0.5
    assert all(abs(later - earlier - 2.0) < 0.05 for earlier, later in itertools.pairwise(times))
    capped = Scanner(frames=3, fps=2.0, video_model=False).scan(clip).to_dict()
    assert len(capped["video"]["frames"]) == 3  # 26 wanted, capped: spread over the whole clip instead
    assert capped["video"]["frames"][-1]["time"] > 10
