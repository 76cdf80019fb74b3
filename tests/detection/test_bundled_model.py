"""The detector that ships in the package: loads offline, scans the examples, card is complete."""

import hashlib
import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from facetrust.bundled import default_model_path
from facetrust.cli import app
from facetrust.models.checkpoint import load_model

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())


def test_bundled_card_says_how_it_was_trained_and_what_it_scored():
    model = load_model(default_model_path())
    card = model.card
    assert card.task == "detector" and card.preprocess.size == 256
    assert card.architecture == "routed" and card.architecture_options["floor"] > 0  # blurred faces to `soft`
    for name, branch in (("sharp", model.sharp), ("soft", model.soft)):
        assert branch.card.architecture == "ensemble"
        assert [m["architecture"] for m in branch.card.architecture_options["members"]] == ["mobilenet_v2",
                                                                                            "effnet_lite0"]
        assert card.training["routed"][name]["sha256"] == hashlib.sha256(
            (default_model_path() / name / "model.safetensors").read_bytes()).hexdigest()
    config = card.training["config"]
    assert {"k140", "sdfd", "sfhq_t2i", "dfdc_crops", "inswapper", "utkface"} <= set(config["sources"])
    assert config["self_blend"] > 0 and card.faces.mode == "detect"
    assert "on validation" in card.threshold_rule and config["max_fpr"] is not None
    for split in ("val", "test"):
        assert card.metrics[split]["roc_auc"] > 0.85
        scores = card.metrics_by_source[split]
        assert set(config["sources"]) <= set(scores) and "sbi" in card.metrics_by_source["val"]


def test_scan_examples_with_the_bundled_model():
    name = json.loads((default_model_path() / "model.json").read_text())["name"]
    result = CliRunner().invoke(app, ["scan", str(REPO / "examples"), "--json", "-"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 7
    for record in records:
        jsonschema.validate(record, SCHEMA)
        assert record["model"]["name"] == name
    assert all(r["verdict"] in ("real", "fake", "uncertain") for r in records)


def test_bundled_weights_separate_real_from_fake(shared_data, tmp_path):
    """A sample of k140/test (never trained or selected on): fails if the weights did not load right."""
    import shutil

    from facetrust.studies.evaluate import evaluate_model

    for label in ("real", "fake"):
        (tmp_path / label).mkdir()
        for path in sorted((shared_data / "faces/k140/test" / label).iterdir())[:20]:
            shutil.copy(path, tmp_path / label / path.name)
    metrics = evaluate_model(load_model(default_model_path()), tmp_path, progress=False).metrics
    assert metrics["n_real"] == metrics["n_fake"] == 20
    assert metrics["roc_auc"] > 0.75  # untrained or wrongly loaded weights give about 0.5
