"""Two detectors joined by the face's sharpness (scripts/route_detectors.py, facetrust.models.routed): sharp faces
scored by one, blurred faces by the other, one temperature and threshold over both."""

import hashlib
import json
import runpy
import shutil
import sys
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest
import yaml

from facetrust.errors import FacetrustError
from facetrust.media.quality import noise_level, sharpness
from facetrust.models.checkpoint import load_model
from facetrust.models.routed import SMOOTHING_SIGMA, RoutedModel
from facetrust.training import TrainConfig, train
from facetrust.training.trainer import validation_faces
from tests.conftest import copy_k140_test_faces

REPO = Path(__file__).resolve().parents[2]
RECIPE = {"model": "cnn", "epochs": 1, "batch_size": 8, "lr": 3e-3, "max_per_split": 12}
FLOOR = 20.0


def run_route_script(recipe: Path, sharp: Path, soft: Path, out: Path, *extra: str) -> None:
    old = sys.argv
    sys.argv = ["route_detectors.py", "--config", str(recipe), "--sharp", str(sharp), "--soft", str(soft),
                "--floor", str(FLOOR), "--name", "routed-test", "--out", str(out), *extra]
    try:
        runpy.run_path(str(REPO / "scripts/route_detectors.py"), run_name="__main__")
    finally:
        sys.argv = old


@pytest.fixture(scope="module")
def routed(tmp_path_factory, shared_data) -> tuple[Path, Path, Path]:
    out = tmp_path_factory.mktemp("routed")
    data = str(shared_data / "faces/k140")
    sharp, soft = (train(TrainConfig(data=data, out=str(out / f"m{seed}"), **RECIPE, seed=seed,
                                     model_options={"depth": 2, "width": 8}), progress=False)
                   for seed in (1, 2))
    recipe = out / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"data": data, **RECIPE}))
    run_route_script(recipe, sharp, soft, out / "routed")
    return sharp, soft, out / "routed/model"


@pytest.fixture(scope="module")
def crops(shared_data, tmp_path_factory) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """k140 test faces as they are, and the same faces heavily blurred (sigma 5: sharpness well under the floor)."""
    faces = sorted(copy_k140_test_faces(shared_data, tmp_path_factory.mktemp("faces"), 3).rglob("*.*"))
    sharp = [cv2.resize(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), (128, 128)) for p in faces]
    return sharp, [cv2.GaussianBlur(crop, (0, 0), 5) for crop in sharp]


def test_sharpness_is_low_for_blurred_and_flat_faces(crops):
    sharp, blurred = crops
    assert all(sharpness(crop) >= FLOOR for crop in sharp)
    assert all(sharpness(crop) < FLOOR for crop in blurred)
    assert sharpness(np.full((64, 64, 3), 128, np.uint8)) == 0.0


def test_each_face_is_scored_by_its_branch_and_the_card_says_how(routed, crops):
    sharp_folder, soft_folder, folder = routed
    card = json.loads((folder / "model.json").read_text())
    assert card["architecture"] == "routed" and card["architecture_options"]["floor"] == FLOOR
    assert card["training"]["routed"]["soft"]["sha256"] == hashlib.sha256(
        (soft_folder / "model.safetensors").read_bytes()).hexdigest()
    assert {"val", "test"} <= set(card["metrics"]) and card["temperature"] > 0 and 0 <= card["threshold"] <= 1
    model = load_model(folder)
    assert isinstance(model, RoutedModel)
    sharp_branch, soft_branch = load_model(sharp_folder), load_model(soft_folder)
    mixed = [face for pair in zip(*crops, strict=True) for face in pair]  # sharp, blurred, sharp, ...
    expected = [(soft_branch if i % 2 else sharp_branch) for i in range(len(mixed))]
    want = np.array([branch.logits([face])[0] / branch.card.temperature for branch, face in zip(expected, mixed,
                                                                                                  strict=True)])
    assert not np.allclose(sharp_branch.logits(crops[1]) / sharp_branch.card.temperature,
                           soft_branch.logits(crops[1]) / soft_branch.card.temperature, atol=1e-3)
    assert np.allclose(model.logits(mixed), want, atol=1e-4)
    assert np.allclose(model.p_fake(mixed), 1 / (1 + np.exp(-want / card["temperature"])), atol=1e-5)
    features, logits = model.features(mixed)
    assert np.allclose(logits, want, atol=1e-3)
    assert np.allclose(features, sharp_branch.features(mixed)[0], atol=1e-4)  # one network's space for every face


def test_a_second_opinion_caps_each_sharp_faces_logit_and_leaves_soft_faces_alone(routed, crops, tmp_path):
    sharp, soft, folder = routed
    run_route_script(folder.parents[1] / "recipe.yaml", sharp, soft, tmp_path / "z", "--second", str(soft))
    routed_model, capped = load_model(folder), load_model(tmp_path / "z/model")
    assert capped.card.architecture_options["second"] == "second" and capped.second is not None
    clean, blurred = crops
    assert not routed_model.routes(clean)[0].any() and routed_model.routes(blurred)[0].all()
    own = routed_model.logits(clean)
    opinion = capped.second.logits(clean) / capped.second.card.temperature
    assert np.allclose(capped.logits(clean), np.minimum(own, opinion), atol=1e-5)
    assert (opinion < own).any()  # the cap binds
    assert np.allclose(capped.logits(blurred), routed_model.logits(blurred), atol=1e-6)
    assert np.allclose(capped.features(clean)[1], capped.logits(clean), atol=1e-5)
    assert capped.weights_sha256 != routed_model.weights_sha256
    card_path = tmp_path / "z/model/second/model.json"
    card = json.loads(card_path.read_text())
    card["faces"]["margin"] += 0.2
    card_path.write_text(json.dumps(card))
    with pytest.raises(FacetrustError, match="differ in faces"):
        load_model(tmp_path / "z/model")


def test_the_heatmap_of_a_face_is_its_branchs(routed, crops):
    from facetrust.explain.heatmaps import face_heatmaps

    sharp_folder, soft_folder, folder = routed
    sharp, blurred = crops
    maps = face_heatmaps(load_model(folder, backend="torch"), [sharp[0], blurred[0]])
    assert np.allclose(maps[0], face_heatmaps(load_model(sharp_folder, backend="torch"), [sharp[0]])[0], atol=1e-5)
    assert np.allclose(maps[1], face_heatmaps(load_model(soft_folder, backend="torch"), [blurred[0]])[0], atol=1e-5)


def test_branches_that_crop_faces_differently_are_refused(routed, tmp_path):
    copy = tmp_path / "routed"
    shutil.copytree(routed[2], copy)
    card_path = copy / "soft/model.json"
    card = json.loads(card_path.read_text())
    card["faces"]["margin"] = card["faces"]["margin"] + 0.2
    card_path.write_text(json.dumps(card))
    with pytest.raises(FacetrustError, match="differ in faces"):
        load_model(copy)


def run_face_finder_script(model: Path, detector: str, out: Path) -> None:
    old = sys.argv
    sys.argv = ["with_face_finder.py", "--model", str(model), "--detector", detector, "--out", str(out)]
    try:
        runpy.run_path(str(REPO / "scripts/with_face_finder.py"), run_name="__main__")
    finally:
        sys.argv = old


def test_a_branch_taken_out_with_another_face_finder_is_routed_again_once_set_back(routed, tmp_path):
    # The bundled cards name the cascade finder, the recipes mtcnn: a branch copied out must be set back first.
    folder = routed[2]
    cascade = tmp_path / "cascade"
    run_face_finder_script(folder, "cascade", cascade)  # a routed folder: its branches' cards change too
    cards = sorted(cascade.rglob("model.json"))
    assert len(cards) == 3 and {json.loads(p.read_text())["faces"]["detector"] for p in cards} == {"cascade"}
    assert (cascade / "soft/model.safetensors").read_bytes() == (folder / "soft/model.safetensors").read_bytes()
    recipe = folder.parents[1] / "recipe.yaml"
    with pytest.raises(FacetrustError, match="crops faces differently from the recipe"):
        run_route_script(recipe, cascade / "sharp", cascade / "soft", tmp_path / "refused")
    run_face_finder_script(cascade / "soft", "mtcnn", cascade / "soft")  # in place, one branch
    run_face_finder_script(cascade / "sharp", "mtcnn", tmp_path / "sharp")  # a plain folder
    run_route_script(recipe, tmp_path / "sharp", cascade / "soft", tmp_path / "again")
    assert load_model(tmp_path / "again/model").card.faces == load_model(folder).card.faces


def test_a_branch_reads_the_shared_crop_with_its_own_preprocessing_and_views(routed, crops, tmp_path):
    copy = tmp_path / "routed"
    shutil.copytree(routed[2], copy)
    card_path = copy / "soft/model.json"
    card = json.loads(card_path.read_text())
    card["preprocess"].update(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5], interpolation="bicubic")
    card["tta"] = "flip"  # a single network as the soft branch, beside a pair scored on single views
    card_path.write_text(json.dumps(card))
    sharp_path = copy / "sharp/model.json"  # its views set here too, not left to what its tiny training chose
    sharp_path.write_text(json.dumps(json.loads(sharp_path.read_text()) | {"tta": None}))
    model, soft = load_model(copy), load_model(copy / "soft")
    blurred = crops[1]
    assert np.allclose(model.logits(blurred), soft.logits(blurred) / soft.card.temperature, atol=1e-5)
    assert model.soft.tta == "flip" and list(model.soft.preprocess.mean) == [0.5] * 3 and model.sharp.tta is None


def framed(crop: np.ndarray) -> np.ndarray:
    """The crop as the aligner leaves a tight photo: black where the photo ended, the edge inside the centre half."""
    out = crop.copy()
    out[:, : int(0.4 * crop.shape[1])] = 0
    return out


def test_sharpness_on_the_photo_ignores_the_aligners_frame(crops):
    sharp, blurred = crops
    assert sharpness(framed(blurred[0])) >= FLOOR > sharpness(framed(blurred[0]), skip_frame=True)  # edge, not face
    assert sharpness(framed(sharp[0]), skip_frame=True) >= FLOOR
    assert sharpness(sharp[0], skip_frame=True) == sharpness(sharp[0])  # no frame, same number
    assert sharpness(np.zeros((64, 64, 3), np.uint8), skip_frame=True) == 0.0


def test_a_card_can_route_by_the_photos_sharpness(routed, crops, tmp_path):
    copy = tmp_path / "routed"
    shutil.copytree(routed[2], copy)
    card = json.loads((copy / "model.json").read_text())
    card["architecture_options"]["sharpness"] = "photo"
    (copy / "model.json").write_text(json.dumps(card))
    faces = [framed(crop) for crop in crops[1]]
    assert load_model(copy).routes(faces)[0].all() and not load_model(routed[2]).routes(faces)[0].any()
    card["architecture_options"]["sharpness"] = "edges"
    (copy / "model.json").write_text(json.dumps(card))
    with pytest.raises(FacetrustError, match="'centre' or 'photo'"):
        load_model(copy)


def test_robustness_at_the_photo_degrades_before_the_face_is_found(routed, tmp_path, capsys, monkeypatch):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**yaml.safe_load((routed[2].parents[1] / "recipe.yaml").read_text()),
                                      "out": str(tmp_path / "run")}))
    script = REPO / "scripts/validation_robustness.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--config", str(recipe), "--model", str(routed[2]), "--at", "photo",
                                      "--cache", str(tmp_path / "cache")])
    globals_ = runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    assert "degraded at the photo" in printed and printed.count("| routed-test (") >= 1 + 9 + 1  # clean, points, mean
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 9
    clean = validation_faces(globals_["read_config"](recipe))
    blurred = np.load(tmp_path / "cache/blur-3.npz")
    assert np.mean([sharpness(c) for c in blurred["crops"]]) < 0.5 * np.mean([sharpness(c) for c in clean.crops])
    runpy.run_path(str(script), run_name="__main__")  # the second run reads the crops back
    assert capsys.readouterr().out == printed


def test_robustness_on_video_stills_scores_the_crops_coded_as_h264_frames(routed, tmp_path, capsys, monkeypatch):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**yaml.safe_load((routed[2].parents[1] / "recipe.yaml").read_text()),
                                      "out": str(tmp_path / "run")}))
    script = REPO / "scripts/validation_robustness.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--config", str(recipe), "--model", str(routed[2]),
                                      "--points", "video"])
    runpy.run_path(str(script), run_name="__main__")
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| routed-test (")]
    points = [row.split(" | ")[1] for row in rows[:4]]
    assert points == ["none ", "h264 23.0", "h264 32.0", "**mean of the 2 degraded points**"]
    balanced = [float(row.rstrip(" |").split(" | ")[-1]) for row in rows[:4]]
    assert all(0.0 <= value <= 1.0 for value in balanced)


def test_agreement_withholds_accusations_and_leaves_the_ranking(routed, tmp_path, capsys, monkeypatch):
    # Candidate AA's measure: a sharp face counts as called fake only if the soft branch agrees; scores unchanged.
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**yaml.safe_load((routed[2].parents[1] / "recipe.yaml").read_text()),
                                      "out": str(tmp_path / "run")}))
    script = REPO / "scripts/validation_robustness.py"
    tables = {}
    for extra in ([], ["--agree"]):
        monkeypatch.setattr(sys, "argv", [str(script), "--config", str(recipe), "--model", str(routed[2]),
                                          "--points", "coded", *extra])
        runpy.run_path(str(script), run_name="__main__")
        rows = [line.rstrip(" |").split(" | ") for line in capsys.readouterr().out.splitlines()
                if line.startswith("| routed-test (")][:4]
        tables[bool(extra)] = {row[1]: [float(cell) for cell in row[2:]] for row in rows}
    assert list(tables[True]) == ["none ", "h264 23.0", "h264 32.0", "heic 50.0"]
    for point, (auc, called_real, caught, _) in tables[True].items():
        plain_auc, plain_real, plain_caught, _ = tables[False][point]
        assert auc == plain_auc and called_real <= plain_real and caught <= plain_caught
    withheld = sum(sum(tables[False][p][1:3]) - sum(tables[True][p][1:3]) for p in tables[True])
    assert withheld > 0  # this test model's soft branch disagrees with some of its sharp branch's accusations


def test_noise_level_reads_grain_not_edges(crops):
    face = crops[0][0]
    rng = np.random.default_rng(0)
    grainy = (face + rng.normal(0, 12, face.shape)).clip(0, 255).astype(np.uint8)
    luma = 12 * np.sqrt(0.299 ** 2 + 0.587 ** 2 + 0.114 ** 2)  # the grey image's share of noise drawn per channel
    assert noise_level(face) < 4 < noise_level(grainy)
    assert abs(noise_level(grainy) - luma) < 1.5  # edges of the face barely count


def test_grainy_faces_are_smoothed_and_judged_by_the_soft_branch_over_the_noise_ceiling(routed, crops, tmp_path):
    copy = tmp_path / "routed"
    shutil.copytree(routed[2], copy)
    card = json.loads((copy / "model.json").read_text())
    card["architecture_options"]["noise_ceiling"] = 6.0  # over these whole small photos' own (2-3.5)
    (copy / "model.json").write_text(json.dumps(card))
    rng = np.random.default_rng(1)
    sharp = crops[0]
    grainy = [(c + rng.normal(0, 20, c.shape)).clip(0, 255).astype(np.uint8) for c in sharp]
    model, without, soft = load_model(copy), load_model(routed[2]), load_model(copy / "soft")
    assert model.routes(grainy)[0].all() and not without.routes(grainy)[0].any() and not model.routes(sharp)[0].any()
    smoothed = [cv2.GaussianBlur(c, (0, 0), SMOOTHING_SIGMA) for c in grainy]
    assert np.allclose(model.logits(grainy), soft.logits(smoothed) / soft.card.temperature, atol=1e-5)
    assert np.allclose(model.logits(sharp), without.logits(sharp), atol=1e-6)  # clean faces route as before
    p_fake = np.full(len(grainy), 0.5)
    assert [list(e) for e in model.face_evidence(grainy, None, p_fake)] == [["grainy"]] * len(grainy)


def test_a_routed_card_without_its_floor_names_the_folder(routed, tmp_path):
    copy = tmp_path / "routed"
    shutil.copytree(routed[2], copy)
    card = json.loads((copy / "model.json").read_text())
    del card["architecture_options"]["floor"]
    (copy / "model.json").write_text(json.dumps(card))
    with pytest.raises(FacetrustError, match=f"{copy}.*floor"):
        load_model(copy)


def test_a_scan_record_names_the_branch_that_judged_each_face(routed, tmp_path):
    from facetrust.detection import Scanner

    photo = REPO / "examples/real_00020.jpg"
    blurred = tmp_path / "blurred.png"
    cv2.imwrite(str(blurred), cv2.GaussianBlur(cv2.imread(str(photo)), (0, 0), 5))
    scanner = Scanner(load_model(routed[2]))
    sharp_face, soft_face = (scanner.scan(path).faces[0] for path in (photo, blurred))
    assert list(sharp_face.evidence) == ["sharp"] and list(soft_face.evidence) == ["soft"]
    for face in (sharp_face, soft_face):  # the one branch holds the face's whole calibrated logit
        assert sum(face.evidence.values()) == pytest.approx(np.log(face.p_fake / (1 - face.p_fake)), abs=1e-4)
    schema = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
    jsonschema.validate(scanner.scan(blurred).to_dict(), schema)
    from facetrust.cli.scan import ROUTE_NOTES, _describe_scan

    said = {path: _describe_scan(scanner.scan(path).to_dict()) for path in (photo, blurred)}
    assert ROUTE_NOTES["soft"] in said[blurred] and not any(note in said[photo] for note in ROUTE_NOTES.values())


def test_the_speed_benchmarks_run_a_routed_model_through_both_branches(routed, crops):
    pytest.importorskip("onnxruntime")
    sys.path.insert(0, str(REPO / "bench"))
    from scan_speed import network_rate, on_onnxruntime, spinning

    model = load_model(routed[2])
    assert on_onnxruntime(model)
    spun = spinning(model, True)
    assert spun.sharp.runner is not model.sharp.runner and spun.soft.runner is not model.soft.runner
    faces = crops[0] + crops[1]  # sharp faces and their blurred copies: both branches judge some
    assert np.allclose(spun.logits(faces), model.logits(faces), atol=1e-6)
    assert 0 < network_rate(model, faces, batch=2) < float("inf")


def test_the_cost_benchmark_asks_the_soft_branch_only_about_accused_sharp_faces(routed, crops, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    from detector_cost import per_crop_ms

    model = load_model(routed[2])
    asked: list[int] = []

    def soft_opinion(self, faces: list) -> np.ndarray:
        asked.append(len(faces))
        return np.ones(len(faces))

    monkeypatch.setattr(RoutedModel, "soft_opinion", soft_opinion)
    faces = crops[0] + crops[1]  # sharp faces and their blurred copies
    assert per_crop_ms(model, faces) > 0 and not asked
    monkeypatch.setattr(model.card, "threshold", 0.0)  # every face is accused: only the sharp ones need asking
    assert per_crop_ms(model, faces, agree=True) > 0 and asked == [len(crops[0])]
