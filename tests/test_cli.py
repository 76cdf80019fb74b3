import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from facetrust.cli import app
from tests.conftest import bundled_network

runner = CliRunner()


def test_faces_reports_every_input_and_keeps_going_after_bad_ones(tmp_path, shared_data, cat):
    shutil.copy(shared_data / "faces/yonsei/real/real_00004.jpg", tmp_path / "person.jpg")
    Image.fromarray(cat).save(tmp_path / "cat.png")
    (tmp_path / "broken.jpg").write_text("no pixels here")
    (tmp_path / "zero.png").write_bytes(b"")
    result = runner.invoke(app, ["faces", str(tmp_path), "--json", "--save-crops", str(tmp_path / "crops")])
    assert result.exit_code == 1  # some inputs failed, but every input was reported
    records = {json.loads(line)["input"].split("/")[-1]: json.loads(line) for line in result.stdout.splitlines()}
    assert set(records) == {"person.jpg", "cat.png", "broken.jpg", "zero.png"}
    assert records["cat.png"]["faces"] == []
    assert records["broken.jpg"]["error_type"] == "UnsupportedMediaError"
    assert records["zero.png"]["error"] == "file is empty (0 bytes)"
    person = records["person.jpg"]
    assert len(person["sha256"]) == 64 and person["width"] == 600
    assert person["faces"][0]["score"] > 0.95 and set(person["faces"][0]["landmarks"]) >= {"left_eye", "right_eye"}
    assert (tmp_path / "crops/person.jpg.face0.png").exists()


def test_faces_human_output_and_video(ffpp_real_video, astronaut, tmp_path):
    Image.fromarray(astronaut).save(tmp_path / "astronaut.png")
    result = runner.invoke(app, ["faces", str(tmp_path / "astronaut.png"), str(ffpp_real_video), "--frames", "2"])
    assert result.exit_code == 0, result.output
    assert "astronaut.png: image 512x512: 1 face(s)" in result.stdout
    assert f"{ffpp_real_video}: video" in result.stdout and result.stdout.count("frame ") >= 2


def test_cat_photo_is_a_normal_no_face_result(tmp_path, cat):
    Image.fromarray(cat).save(tmp_path / "cat.jpg")
    result = runner.invoke(app, ["faces", str(tmp_path / "cat.jpg")])
    assert result.exit_code == 0 and "no face found" in result.stdout


def test_unknown_detector_is_a_usage_error():
    result = runner.invoke(app, ["faces", "x.jpg", "--detector", "nope"])
    assert result.exit_code == 2
    assert "unknown face detector 'nope'" in result.output and "dlib_hog, mtcnn, ssd" in result.output


def test_crop_command_summarises(tmp_path, shared_data):
    src = tmp_path / "src/real"
    src.mkdir(parents=True)
    shutil.copy(shared_data / "faces/yonsei/real/real_00004.jpg", src / "a.jpg")
    (src / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    result = runner.invoke(app, ["crop", str(tmp_path / "src"), str(tmp_path / "out"), "--size", "64"])
    assert result.exit_code == 0, result.output
    assert "2 files: 0 already done, 1 cropped, 0 without a face, 1 unreadable; 1 new crops" in result.stdout
    again = runner.invoke(app, ["crop", str(tmp_path / "src"), str(tmp_path / "out"), "--size", "64"])
    assert "2 files: 2 already done" in again.stdout


def test_detectors_lists_the_default_and_the_bundled_detectors():
    result = runner.invoke(app, ["detectors"])
    assert "mtcnn (default)" in result.stdout and "cascade (the bundled detector's, used by scan)" in result.stdout


def test_scan_takes_another_face_finder_and_refuses_an_unknown_one(tmp_path):
    """The cascade (the bundled detector's) and the whole of MTCNN give the same face and P(fake) on an example."""
    image = Path(__file__).resolve().parents[1] / "examples/real_00003.jpg"
    records = {}
    for name in ("mtcnn", "cascade"):
        result = runner.invoke(app, ["scan", str(image), "--detector", name, "--json", str(tmp_path / f"{name}.jsonl")])
        assert result.exit_code == 0, result.output
        records[name] = json.loads((tmp_path / f"{name}.jsonl").read_text())
    assert [(f["box"], f["p_fake"]) for f in records["mtcnn"]["faces"]] == \
        [(f["box"], f["p_fake"]) for f in records["cascade"]["faces"]]
    assert records["mtcnn"]["model"]["faces"] == {"detector": "mtcnn", "mode": "detect", "source": "override"}
    assert records["cascade"]["model"]["faces"] == {"detector": "cascade", "mode": "detect", "source": "model"}
    result = runner.invoke(app, ["scan", str(image), "--detector", "nope"])
    assert result.exit_code == 2 and "unknown face detector 'nope'" in result.output
    assert "blazeface, cascade" in result.output


EXPECTED_BAD = {
    "zero.jpg": "EmptyMediaError",
    "truncated.jpg": "CorruptMediaError",
    "text.jpg": "UnsupportedMediaError",
    "bomb.png": "MediaTooLargeError",
    "one_pixel.png": "UnsupportedMediaError",
    "audio_only.mp4": "NoVideoStreamError",
    "corrupt.mp4": "CorruptMediaError",
}


def test_every_bad_input_gets_a_clear_record_and_the_batch_finishes(bad_inputs):
    result = runner.invoke(app, ["faces", str(bad_inputs), "--json"])
    assert result.exit_code == 1
    records = {json.loads(line)["input"].split("/")[-1]: json.loads(line) for line in result.stdout.splitlines()}
    assert len(records) == 11
    for name, error_type in EXPECTED_BAD.items():
        assert records[name]["error_type"] == error_type, records[name]
        assert records[name]["error"]  # says what is wrong
    assert records["no_face.jpg"]["faces"] == []
    # The decodable odd formats are faces like any other: the astronaut is found in each.
    for name in ("cmyk.jpg", "16bit.png"):
        assert len(records[name]["faces"]) == 1, name
    animated = records["animated.gif"]  # the astronaut, then the cat: sampled as a video's frames
    assert animated["kind"] == "video" and [len(f["faces"]) for f in animated["frames"]] == [1, 0]
    assert any("animated GIF judged as a video" in note for note in animated["notes"])


def test_train_config_file_refuses_competing_flags_and_unknown_keys(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"data: somewhere\nout: {tmp_path / 'run'}\nepochs: 3\n")
    result = runner.invoke(app, ["train", "--config", str(config), "--epochs", "5"])
    assert result.exit_code == 2 and "--epochs would compete with the config file" in flat(result.output)
    config.write_text(f"data: somewhere\nout: {tmp_path / 'run'}\nepoch: 3\n")
    result = runner.invoke(app, ["train", "--config", str(config)])
    assert result.exit_code == 2 and "unknown settings ['epoch']" in flat(result.output)


@pytest.mark.parametrize(("setting", "named"), [
    ("face_mode: sideways", "face_mode: Input should be 'auto', 'detect' or 'whole' (got 'sideways')"),
    ("margin: wide", "margin: Input should be a valid number"),
    ("detector: hog9000", "detector: Value error, unknown face detector 'hog9000'"),
    ("epochs: many", "epochs: Input should be a valid integer"),
    ("model: resnet9000", "model: unknown model 'resnet9000'"),
    ("distill_weight: 0", "distill_weight must be in (0, 1], got 0.0"),
    ("source_adversary_weight: -1", "source_adversary_weight must be 0 (none) or more, got -1.0"),
    ("sam_rho: -0.05", "sam_rho must be 0 (plain steps) or more, got -0.05"),
])
def test_a_bad_recipe_value_is_refused_naming_its_key(tmp_path, setting, named):
    config = tmp_path / "c.yaml"
    config.write_text(f"data: somewhere\nout: {tmp_path / 'run'}\n{setting}\n")
    result = runner.invoke(app, ["train", "--config", str(config)])
    assert result.exit_code == 2 and named in flat(result.output)
    assert not (tmp_path / "run").exists()


def test_a_recipe_extends_another_and_names_only_what_it_changes(tmp_path):
    from facetrust.training import read_config

    (tmp_path / "base.yaml").write_text("data: somewhere\nout: runs/x\nepochs: 14\nlr: 0.0005\n"
                                        "augment_options: {jpeg: 0.5, blur: 0.25}\n")
    (tmp_path / "variants").mkdir()
    variant = tmp_path / "variants/short.yaml"
    variant.write_text("extends: ../base.yaml\nepochs: 8\naugment_options: {blur: 0.5, noise: 0.25}\n")
    config = read_config(variant)
    assert (config.data, config.epochs, config.lr) == ("somewhere", 8, 0.0005)
    assert config.augment_options == {"jpeg": 0.5, "blur": 0.5, "noise": 0.25}  # overridden field by field
    repo_lofo = read_config(Path(__file__).resolve().parents[1] / "configs/detector-general-lofo.yaml")
    assert repo_lofo.epochs == 8 and repo_lofo.sources and repo_lofo.self_blend == 0.5


def flat(output: str) -> str:
    """Click's error box wraps long messages (long temporary paths) over several bordered lines."""
    return " ".join(output.replace("│", " ").split())


def test_scan_says_which_model_and_thresholds_speak():
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples"
    result = runner.invoke(app, ["scan", str(examples / "scene_astronaut.jpg"), "--threshold", "0.5"])
    assert result.exit_code == 0, result.output
    first, verdict = result.stdout.splitlines()[:2]
    name = json.loads((examples.parent / "src/facetrust/weights/detector/model.json").read_text())["name"]
    assert first.startswith(f"model {name}") and "fake if P(fake) >= 0.60, real if < 0.40" in first
    assert verdict.split(": ")[1].split(" ")[0] in ("REAL", "FAKE", "UNCERTAIN")


def test_scan_says_when_the_user_set_the_smallest_face_judged():
    from pathlib import Path

    astronaut = Path(__file__).resolve().parents[1] / "examples/scene_astronaut.jpg"  # one face of about 88 px
    result = runner.invoke(app, ["scan", str(astronaut), "--smallest-face", "500"])
    assert result.exit_code == 0, result.output
    assert "for every face under 500 px (your --smallest-face)" in result.stdout.splitlines()[0]
    assert "uncertain (under 500 px: too small to judge)" in result.stdout
    every = runner.invoke(app, ["scan", str(astronaut), "--smallest-face", "0"])
    assert "every face judged, however small: your --smallest-face 0" in every.stdout.splitlines()[0]
    assert "too small to judge" not in every.stdout
    assert runner.invoke(app, ["scan", str(astronaut), "--smallest-face", "-3"]).exit_code == 2


def test_scan_says_when_the_user_set_the_noise_ceiling():
    from pathlib import Path

    real = Path(__file__).resolve().parents[1] / "examples/real_00003.jpg"
    strict = runner.invoke(app, ["scan", str(real), "--noise-ceiling", "0.001"])  # every face is grainier
    assert strict.exit_code == 0, strict.output
    assert "and the face's grain at most 0.001 (your --noise-ceiling)" in strict.stdout.splitlines()[0]
    assert "too grainy to call real" in strict.stdout and ": real" not in strict.stdout
    lifted = runner.invoke(app, ["scan", str(real), "--noise-ceiling", "0"])
    assert "(however grainy: your --noise-ceiling 0)" in lifted.stdout.splitlines()[0]
    assert runner.invoke(app, ["scan", str(real), "--noise-ceiling", "-1"]).exit_code == 2


def test_scan_with_a_store_skips_inputs_it_already_holds(tmp_path):
    from pathlib import Path

    from facetrust.store import ResultStore

    examples = Path(__file__).resolve().parents[1] / "examples"
    inputs = [str(p) for p in sorted(examples.glob("real_*.jpg"))[:2]]
    db = f"sqlite:///{tmp_path / 'scans.db'}"
    first = runner.invoke(app, ["scan", *inputs[:1], "--db", db])
    assert first.exit_code == 0 and "[stored scan" not in first.output, first.output
    second = runner.invoke(app, ["scan", *inputs, "--db", db])  # as if the first run had been interrupted
    assert second.exit_code == 0, second.output
    assert second.output.count("[stored scan #1]") == 1  # the first input came from the store
    assert ResultStore(db).count() == 2


def test_a_file_name_that_is_not_utf8_is_stored_with_escapes_and_the_batch_goes_on(tmp_path):
    import os
    import shutil

    from facetrust.store import ResultStore

    examples = Path(__file__).resolve().parents[1] / "examples"
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copy(examples / "real_00003.jpg", os.fsdecode(bytes(folder) + b"/bad\xff name.jpg"))
    shutil.copy(examples / "real_00020.jpg", folder / "good.jpg")
    db = f"sqlite:///{tmp_path / 'scans.db'}"
    result = runner.invoke(app, ["scan", str(folder), "--db", db])
    assert result.exit_code == 0, result.output
    names = sorted(s.record["input"] for s in ResultStore(db).list())
    assert [Path(n).name for n in names] == ["bad\\xff name.jpg", "good.jpg"]


def test_serve_refuses_a_public_address_without_a_token():
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "set --token" in result.output


def test_serve_reads_its_token_from_a_file_kept_out_of_the_process_list(tmp_path, monkeypatch):
    import uvicorn

    import facetrust.service

    seen = {}
    monkeypatch.setattr(facetrust.service, "create_app",
                        lambda settings, store: seen.setdefault("tokens", settings.tokens))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.delenv("FACETRUST_TOKEN", raising=False)
    secret = tmp_path / "token"
    secret.write_text("s3cret-token\n\nanother-client\n")
    db = ["--db", f"sqlite:///{tmp_path / 'scans.db'}"]
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--token-file", str(secret), *db])
    assert result.exit_code == 0, result.output
    assert seen["tokens"] == ("s3cret-token", "another-client")
    (tmp_path / "empty").write_text("\n")
    empty = runner.invoke(app, ["serve", "--token-file", str(tmp_path / "empty"), *db])
    assert empty.exit_code == 2 and "token file is empty" in empty.output
    both = runner.invoke(app, ["serve", "--token", "x", "--token-file", str(secret), *db])
    assert both.exit_code == 2 and "not both" in both.output


def test_export_checks_the_onnx_model_against_pytorch_on_real_faces(tmp_path):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples"
    out = tmp_path / "model.onnx"
    routed = runner.invoke(app, ["export", "--out", str(out), "--images", str(examples)])
    assert routed.exit_code != 0 and "sharp/ and soft/" in routed.output  # the bundled detector is two graphs
    result = runner.invoke(app, ["export", "--out", str(out), "--images", str(examples), "--model",
                                 str(bundled_network())])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1_000_000 and "max |P(fake) difference| vs PyTorch on 7 faces" in result.output
    refused = runner.invoke(app, ["export", "--out", str(out), "--images", str(examples), "--format", "tflite"])
    assert refused.exit_code == 2


def test_a_file_named_on_the_command_line_that_cannot_be_read_fails_only_itself(tmp_path):
    examples = Path(__file__).resolve().parents[1] / "examples"
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    result = runner.invoke(app, ["scan", str(tmp_path / "missing.jpg"), str(tmp_path / "dangling.jpg"),
                                 str(examples / "real_00003.jpg"), "--json", "-"])
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.exit_code == 1 and len(records) == 3
    assert [(r["error_type"], r["error"]) for r in records[:2]] == [("MediaError", "file not found")] * 2
    assert records[2]["verdict"] in {"real", "fake", "uncertain"}


def test_the_command_line_loads_no_heavy_library_until_a_command_runs():
    import subprocess
    import sys

    probe = ("import sys; import facetrust.cli; "
             "print(sorted(m for m in ('torch', 'cv2', 'numpy', 'timm', 'sklearn', 'matplotlib') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"  # what keeps `facetrust --help` fast (bench/cli_startup.py measures it)
