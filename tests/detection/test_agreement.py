"""`--agree`: a photo's face the bundled routed detector calls fake is called fake only if its soft branch, asked for
a second opinion, calls it fake too (docs/VERDICT_SCHEMA.md, "Agreement"; docs/DETECTOR.md, "Candidate AA")."""

import json
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from facetrust.bundled import default_model_path
from facetrust.cli import app
from facetrust.detection import Scanner
from facetrust.detection.decision import DecisionRule
from facetrust.errors import FacetrustError
from facetrust.faces.stage import find_faces
from facetrust.report.degrade import DEGRADATIONS

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())


def test_a_second_opinion_withholds_an_accusation_and_never_clears_a_face():
    rule = DecisionRule(0.5, 0.1)
    assert rule.verdict(0.9, second=0.3) == "uncertain"
    assert rule.verdict(0.9, second=0.55) == "uncertain"  # under the fake side (0.6) is not agreement
    assert rule.verdict(0.9, second=0.7) == rule.verdict(0.9) == "fake"
    assert rule.verdict(0.1, second=0.99) == "real" and rule.verdict(0.5, second=0.99) == "uncertain"
    assert rule.overridden(agree=True).agree and not rule.overridden().agree


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(provenance=False)


@pytest.fixture(scope="module")
def video_stills(shared_data, tmp_path_factory) -> list[Path]:
    """k140's first 40 real test photos re-coded as one H.264 frame at crf 32, as a video still is: the bundled
    detector's sharp branch calls three of them fake (docs/REPORT.md, "Video stills")."""
    folder = tmp_path_factory.mktemp("stills")
    paths = []
    for photo in sorted((shared_data / "faces/k140/test/real").glob("*.jpg"))[:40]:
        rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
        still = DEGRADATIONS["h264"].apply(rgb, 32.0, np.random.default_rng(0))
        paths.append(folder / f"{photo.stem}-crf32.png")
        cv2.imwrite(str(paths[-1]), cv2.cvtColor(still, cv2.COLOR_RGB2BGR))
    return paths


def test_agreement_turns_false_accusations_of_coded_real_photos_uncertain(scanner, video_stills):
    found = [find_faces(path, scanner.finder, frames=1) for path in video_stills]
    plain, agreed = scanner.judge(found), scanner.with_decision(agree=True).judge(found)
    faces = [(f, g) for a, b in zip(plain, agreed, strict=True) for f, g in zip(a.faces, b.faces, strict=True)]
    assert [f.p_fake for f, _ in faces] == [g.p_fake for _, g in faces]  # scores are the model's, untouched
    rule = scanner.decision
    accused = [(f, g) for f, g in faces if f.verdict == "fake"]
    assert accused and all(list(f.evidence) == ["sharp"] for f, _ in accused)
    # the soft branch was asked about exactly the accused faces, and only its refusals changed a verdict
    assert [g for _, g in faces if g.second_opinion is not None] == [g for _, g in accused]
    withheld = [g for _, g in accused if not rule.accuses(g.second_opinion)]
    assert withheld and all(g.verdict == "uncertain" for g in withheld)
    assert all(g.verdict == f.verdict for f, g in faces if g not in withheld)
    assert not any(r.model["agree"] for r in plain) and all(r.model["agree"] for r in agreed)
    for result in agreed:
        record = result.to_dict()
        jsonschema.validate(record, SCHEMA)
        said = any("second opinion (--agree)" in note for note in record["notes"])
        assert said == any(g in withheld for g in result.faces)


def test_the_command_line_asks_for_agreement(video_stills, tmp_path):
    records = tmp_path / "records.jsonl"
    ran = CliRunner().invoke(app, ["scan", *map(str, video_stills[:24]), "--agree", "--no-provenance",
                                   "--json", str(records)])
    assert ran.exit_code == 0, ran.output
    assert "soft branch's P(fake) too (your --agree)" in ran.output
    assert "second opinion, soft branch: P(fake)" in ran.output
    lines = [json.loads(line) for line in records.read_text().splitlines()]
    assert all(line["model"]["agree"] for line in lines)
    assert any(face.get("second_opinion") for line in lines for face in line["faces"])


def test_agreement_needs_a_routed_model():
    with pytest.raises(FacetrustError, match="--agree asks a routed model's soft branch") as raised:
        Scanner(default_model_path() / "sharp", agree=True)
    assert "facetrust" in str(raised.value)  # the model is named


def test_a_video_is_judged_without_agreement_and_told_so(scanner, ffpp_real_video):
    agreed = scanner.with_decision(agree=True)
    record = agreed.scan(ffpp_real_video).to_dict()
    plain = scanner.scan(ffpp_real_video).to_dict()
    assert record["video"]["tracks"] == plain["video"]["tracks"]
    assert not any("second_opinion" in face for face in record["faces"])
    assert any("photos' faces only" in note for note in record["notes"])
