"""`scan --emotion`: each face's expression from the bundled expression model, in the verdict record."""

import json
from pathlib import Path

import jsonschema
import numpy as np
from typer.testing import CliRunner

from facetrust.bundled import default_model_path
from facetrust.cli import app
from facetrust.detection import Scanner
from facetrust.emotion import EMOTIONS
from facetrust.faces import align_face, create_detector
from facetrust.faces.align import crop_box, reframe, whole_image

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
BUNDLED = json.loads((REPO / "src/facetrust/weights/emotion/model.json").read_text())


def test_scan_json_carries_expressions_and_matches_the_schema():
    result = runner.invoke(app, ["scan", str(REPO / "examples"), "--emotion", "--json", "-"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 7
    for record in records:
        jsonschema.validate(record, SCHEMA)
        assert record["model"]["emotion"]["name"] == BUNDLED["name"]
        emotion = record["faces"][0]["emotion"]
        assert set(emotion["scores"]) == set(EMOTIONS) and abs(sum(emotion["scores"].values()) - 1) < 1e-3
        assert emotion["label"] == max(emotion["scores"], key=emotion["scores"].get)
    astronaut = next(r for r in records if r["input"].endswith("scene_astronaut.jpg"))
    assert astronaut["faces"][0]["emotion"]["label"] == "happy"  # she smiles broadly


def test_without_emotion_the_record_has_none(astronaut):
    record = Scanner(frames=1).scan(astronaut).to_dict()
    assert "emotion" not in record["model"] and "emotion" not in record["faces"][0]


def test_reframing_finds_the_tight_face_in_either_kind_of_crop(astronaut):
    box = (170.0, 50.0, 290.0, 200.0)
    tight = crop_box(astronaut, box, 64, 0.0)
    from_whole = reframe(whole_image(astronaut, 256), box, (512, 512), 0.3, 0.0, 64)
    from_aligned = reframe(crop_box(astronaut, box, 256, 0.3), None, (512, 512), 0.3, 0.0, 64)
    for crop in (from_whole, from_aligned):
        assert np.abs(crop.astype(int) - tight.astype(int)).mean() < 10  # same pixels resampled; a wrong box: ~55


def test_the_bundled_expression_model_reads_faces_framed_like_fer2013_tighter_than_the_face_square(astronaut):
    """FER-2013 faces are cut at the forehead and chin; the scan path reframes the detector's crop that tight."""
    margin = BUNDLED["faces"]["margin"]
    assert margin < 0
    face = create_detector("mtcnn").detect(astronaut)[0]
    tight = align_face(astronaut, face, 96, margin)
    from_scan = reframe(align_face(astronaut, face, 256, 0.3), None, (512, 512), 0.3, margin, 96)
    assert np.abs(from_scan.astype(int) - tight.astype(int)).mean() < 10
    looser = align_face(astronaut, face, 96, 0.0)
    assert np.abs(looser.astype(int) - tight.astype(int)).mean() > 20  # the framing is a visible difference


def test_a_detector_is_refused_as_expression_model():
    result = runner.invoke(app, ["scan", str(REPO / "examples/scene_astronaut.jpg"), "--emotion-model",
                                 str(default_model_path())])
    assert result.exit_code == 2 and "is not an expression model" in result.output
