"""Heatmaps (`explain`, `scan --explain`): shaped like the crop, faithful to the model, written and recorded."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from facetrust.api import find_faces
from facetrust.bundled import default_model_path
from facetrust.cli import app
from facetrust.errors import FacetrustError
from facetrust.explain import face_heatmaps
from facetrust.models.checkpoint import load_model

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
FAKES = sorted((REPO / "examples").glob("fake_*.jpg"))


@pytest.fixture(scope="module")
def model():
    return load_model(default_model_path(), backend="torch")


def test_hot_regions_matter_more_to_the_model_than_cold_ones(model):
    """Greying out the hottest fifth of each fake face lowers its fake logit more than greying the coldest."""
    crops = [find_faces(path, model.face_finder(True)).frames[0].faces[0].crop for path in FAKES]
    maps = face_heatmaps(model, crops)
    hot, cold = [], []
    for crop, heat in zip(crops, maps, strict=True):
        assert heat.shape == crop.shape[:2] and heat.min() >= 0 and heat.max() <= 1 and heat.std() > 0.05
        for share, out in ((heat >= np.quantile(heat, 0.8), hot), (heat <= np.quantile(heat, 0.2), cold)):
            greyed = crop.copy()
            greyed[share] = crop.reshape(-1, 3).mean(0).astype(np.uint8)
            out.append(greyed)
    base, after_hot, after_cold = (model.logits(c) for c in (crops, hot, cold))
    assert np.mean(base - after_hot) > np.mean(base - after_cold) + 1.0


def test_models_without_convolutions_cannot_be_explained(model):
    from dataclasses import replace

    from facetrust.models.checkpoint import LoadedModel
    from facetrust.models.registry import create_model

    small = replace(model.card.preprocess, size=64)
    dense = LoadedModel(create_model("ffnn"), model.card.model_copy(update={"preprocess": small}))
    with pytest.raises(FacetrustError, match="heatmaps need an image model with convolutions"):
        face_heatmaps(dense, [np.zeros((64, 64, 3), np.uint8)])


def test_explain_and_scan_explain_write_pictures_the_record_names(tmp_path, cat):
    out = tmp_path / "heat.png"
    result = runner.invoke(app, ["explain", str(FAKES[0]), "--out", str(out), "--method", "gradcam++"])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size[1] > 400 and "heatmaps written to" in result.output
    folder = tmp_path / "maps"
    result = runner.invoke(app, ["scan", *map(str, FAKES[:2]), "--explain", str(folder), "--json", "-"])
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        record = json.loads(line)
        jsonschema.validate(record, SCHEMA)
        assert Path(record["faces"][0]["heatmap"]).is_file()
    assert len(list(folder.glob("*.png"))) == 2
    Image.fromarray(cat).save(tmp_path / "cat.png")
    result = runner.invoke(app, ["explain", str(tmp_path / "cat.png"), "--out", str(tmp_path / "none.png")])
    assert result.exit_code == 2 and "no face found, nothing to explain" in result.output
    result = runner.invoke(app, ["explain", str(FAKES[0]), "--out", str(out), "--method", "magic"])
    assert result.exit_code == 2 and "unknown explanation method 'magic'" in result.output
