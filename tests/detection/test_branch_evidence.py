"""A two-branch detector's verdicts say what each kind of evidence (whole face, local patches) added."""

import json
import math
from pathlib import Path

import jsonschema
import pytest
import torch

from facetrust.detection.scanner import Scanner
from facetrust.models import create_model
from facetrust.models.checkpoint import load_model, save_model
from tests.conftest import bundled_network

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
FAKE = sorted((REPO / "examples").glob("fake_*.jpg"))[0]


@pytest.fixture(scope="module")
def two_branch_folder(tmp_path_factory):
    torch.manual_seed(0)
    module = create_model("mobilenet_v2_two_branch").eval()  # ImageNet features: random ones all but vanish
    torch.nn.init.normal_(module.patch_head[1].weight, std=0.5)
    card = load_model(bundled_network(), backend="torch").card
    card = card.model_copy(update={"architecture": "mobilenet_v2_two_branch", "model_options": {}})
    return save_model(tmp_path_factory.mktemp("two-branch"), module, card)


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_each_face_names_each_branchs_share_and_they_add_up_to_its_logit(two_branch_folder, backend):
    record = Scanner(load_model(two_branch_folder, backend=backend)).scan(FAKE).to_dict()
    jsonschema.validate(record, SCHEMA)
    face = record["faces"][0]
    assert set(face["evidence"]) == {"face", "patch"} and face["evidence"]["patch"] != 0
    p = face["p_fake"]
    assert sum(face["evidence"].values()) == pytest.approx(math.log(p / (1 - p)), abs=2e-3)


def test_a_one_branch_detectors_verdicts_carry_no_evidence_shares():
    record = Scanner(load_model(bundled_network())).scan(FAKE).to_dict()
    assert "evidence" not in record["faces"][0]
