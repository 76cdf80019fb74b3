"""A video model that reads its own frame model: photos scored by the photo detector, video faces by the frame
model (its P(fake), threshold and features), and the record saying which model scored what."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch

from facetrust.bundled import default_model_path
from facetrust.detection import Scanner
from facetrust.errors import FacetrustError
from facetrust.models.checkpoint import load_model, save_model
from facetrust.video.frame_judge import (
    FRAME_JUDGE,
    FrameJudge,
    fit_frame_judge,
    forgetting_guard,
    judge_out_of_fold,
)
from facetrust.video.model import save_video_model
from facetrust.video.temporal import TemporalHead
from tests.conftest import bundled_network

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())


def shifted_copy(folder: Path, name: str, logit_shift: float, **card_changes) -> Path:
    """A bundled network with its output bias moved: a different model (weights, sha256) with known scores."""
    bundled = load_model(bundled_network(), backend="torch")
    module = bundled.module
    state = module.state_dict()
    output_bias = [key for key, value in state.items() if key.endswith("bias") and value.shape == (1,)][-1]
    with torch.no_grad():
        state[output_bias] += logit_shift
    module.load_state_dict(state)
    card = bundled.card.model_copy(update={"name": name, **card_changes})
    return save_model(folder, module, card)


def untrained_video_model(folder: Path, frame_model_folder: Path) -> Path:
    features = load_model(frame_model_folder, backend="torch").module.num_features  # pooled features a frame
    head = TemporalHead(features + 1, "mean", hidden=8)
    card = {"name": "test-video", "version": "1", "temporal": "mean", "frames": 3, "threshold": 0.5,
            "temperature": 1.0, "frame_inputs": ["features", "logit"],
            "temporal_options": {"in_features": features + 1, "hidden": 8, "dropout": 0.5}}
    return save_video_model(folder, head, card, load_model(frame_model_folder))


@pytest.fixture(scope="module")
def frame_model(tmp_path_factory) -> Path:
    return shifted_copy(tmp_path_factory.mktemp("frames") / "model", "test-frame-model", 3.0, threshold=0.3)


@pytest.fixture(scope="module")
def video_model(frame_model, tmp_path_factory) -> Path:
    return untrained_video_model(tmp_path_factory.mktemp("video") / "model", frame_model)


@pytest.fixture(scope="module")
def scanner(video_model) -> Scanner:
    return Scanner(video_model=video_model)


def test_video_faces_are_scored_by_the_frame_model_and_photos_by_the_image_model(scanner, frame_model,
                                                                                  ffpp_real_video, astronaut_jpeg):
    assert scanner.frame_model is scanner.video_model.image_model
    assert scanner.frame_model.weights_sha256 != scanner.model.weights_sha256
    video = scanner.scan(ffpp_real_video).to_dict()
    photo = scanner.scan(astronaut_jpeg, name="astronaut.jpg").to_dict()
    for record in (video, photo):
        jsonschema.validate(record, SCHEMA)
    frame_p = [face["p_fake"] for face in video["faces"]]
    assert len(frame_p) == 3
    # the frame model's bias is 3 logits above the photo detector's: every video face scores higher than the
    # photo detector would give it, and the photo is scored by the photo detector exactly
    photo_detector = load_model(default_model_path())
    assert [face["p_fake"] for face in photo["faces"]] == pytest.approx(
        photo_detector.p_fake(_crops(scanner, astronaut_jpeg)).tolist(), abs=1e-4)
    crops = _crops(scanner, ffpp_real_video)
    assert frame_p == pytest.approx(load_model(frame_model).p_fake(crops).tolist(), abs=1e-4)
    assert np.all(np.array(frame_p) > photo_detector.p_fake(crops))
    assert video["model"]["video"]["frame_model"]["name"] == "test-frame-model"
    assert video["model"]["video"]["frame_model"]["threshold"] == 0.3
    assert [face["verdict"] for face in video["faces"]] == [
        "fake" if p >= 0.4 else "real" if p < 0.2 else "uncertain" for p in frame_p]  # 0.3 ± the default band
    assert video["video"]["aggregation"] == "mean"


def _crops(scanner: Scanner, source) -> list:
    from facetrust.faces.stage import find_faces

    found = find_faces(source, scanner.finder, name="input", frames=scanner.frames)
    return [face.crop for frame in found.frames for face in frame.faces]


def test_a_face_threshold_override_reaches_the_frame_models_verdicts(scanner, ffpp_real_video):
    record = scanner.with_decision(threshold=1.0, uncertain_band=0.0).scan(ffpp_real_video).to_dict()
    assert {face["verdict"] for face in record["faces"]} == {"real"}
    assert record["model"]["video"]["frame_model"]["threshold_source"] == "override"


def test_a_frame_model_that_crops_differently_is_refused(tmp_path):
    bundled = load_model(default_model_path(), backend="torch")
    other_faces = bundled.card.faces.model_copy(update={"margin": bundled.card.faces.margin + 0.2})
    frames = shifted_copy(tmp_path / "frames", "wide-crops", 0.5, faces=other_faces)
    video = untrained_video_model(tmp_path / "video", frames)
    with pytest.raises(FacetrustError, match="crops faces differently"):
        Scanner(video_model=video)


def test_the_frame_judge_leaves_the_asked_share_decided_and_is_centred_on_its_threshold():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 50)
    means = np.clip(rng.normal(0.35 + 0.3 * labels, 0.15), 0.01, 0.99)
    judge = fit_frame_judge(means, labels, decided=0.7)
    p = judge.p_fake(means)
    assert np.mean(np.abs(p - 0.5) > judge.band) >= 0.7 and judge.band > 0
    assert judge.p_fake(np.array([judge.centre]))[0] == pytest.approx(0.5)
    assert not judge.at_bound and 0.3 < judge.centre < 0.7


def test_the_forgetting_guard_names_each_well_sampled_set_the_frame_model_lost_or_skipped():
    def row(auc: float, n_real: int = 150, n_fake: int = 150) -> dict:
        return {"roc_auc": auc, "n_real": n_real, "n_fake": n_fake}

    reference = {"k140": row(0.90), "dfdc_crops": row(0.70), "ecuador_flux": row(0.98, 45, 45),
                 "stylegan3": row(1.0, 4, 4), "sdfd": row(None, 0, 72)}
    kept = {"k140/test": row(0.885), "dfdc_crops/test": row(0.95), "ecuador_flux/test": row(0.97, 45, 45),
            "stylegan3/test": row(0.25, 4, 4), "yonsei": row(0.1)}
    assert forgetting_guard(kept, reference) == []  # within 0.02, better, or too few faces to judge
    forgot = {**kept, "k140/test": row(0.87)}
    del forgot["ecuador_flux/test"]
    assert forgetting_guard(forgot, reference) == ["k140/test: ROC-AUC 0.870, the photo detector's 0.900",
                                                   "ecuador_flux/test: not measured"]


def test_a_calibrated_mean_video_model_has_no_weights_and_judges_by_its_card(frame_model, ffpp_real_video, tmp_path):
    judge = FrameJudge(centre=0.9, temperature=0.5, band=0.2)
    card = {"name": "test-judge", "version": "1", "temporal": FRAME_JUDGE, "frames": 3, "threshold": 0.5,
            "uncertain_band": judge.band, "temperature": judge.temperature, "frame_inputs": ["logit"],
            "temporal_options": {"centre": judge.centre}}
    folder = save_video_model(tmp_path / "judge", None, card, load_model(frame_model))
    assert not (folder / "model.safetensors").exists()
    scanner = Scanner(video_model=folder)
    scanner.frame_model.features = None  # the judge reads the frames' P(fake) only: no feature pass may run
    record = scanner.scan(ffpp_real_video).to_dict()
    jsonschema.validate(record, SCHEMA)
    [track] = record["video"]["tracks"]
    expected = judge.p_fake(np.array([np.mean(track["p_fake_frames"])]))[0]
    assert track["p_fake"] == pytest.approx(expected, abs=1e-3)
    assert record["video"]["aggregation"] == FRAME_JUDGE and record["video"]["uncertain_band"] == 0.2
    verdict = "fake" if expected >= 0.7 else "real" if expected < 0.3 else "uncertain"
    assert record["video"]["verdict"] == verdict


def test_the_scan_command_names_the_frame_model_it_scores_video_faces_with(video_model, ffpp_real_video):
    from typer.testing import CliRunner

    from facetrust.cli import app

    result = CliRunner().invoke(app, ["scan", str(ffpp_real_video), "--video-model", str(video_model)])
    assert result.exit_code == 0, result.output
    assert "video faces by frame model test-frame-model" in result.output


def test_nested_calibration_never_reads_the_held_out_folds_labels():
    rng = np.random.default_rng(1)
    labels = np.tile([0, 1], 30)
    means = np.clip(rng.normal(0.35 + 0.3 * labels, 0.15), 0.01, 0.99)
    folds = np.repeat(np.arange(5), 12)
    nested = judge_out_of_fold(means, labels, folds, decided=0.7)
    flipped = labels.copy()
    flipped[folds == 0] = 1 - flipped[folds == 0]  # fold 0's own labels change: its scores and band must not
    again = judge_out_of_fold(means, flipped, folds, decided=0.7)
    assert np.array_equal(nested.p_fake[folds == 0], again.p_fake[folds == 0])
    assert np.array_equal(nested.bands[folds == 0], again.bands[folds == 0])
    assert not np.array_equal(nested.p_fake[folds == 1], again.p_fake[folds == 1])
    assert len(nested.judges) == 5 and nested.decided.mean() > 0.5
