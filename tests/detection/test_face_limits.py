"""Faces beyond what the model was shown to judge get `uncertain`, and the record says why: a face smaller than its
smallest judged face, whatever its score; a face grainier than its noise ceiling, where its score says real."""

import json
import shutil
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from facetrust.bundled import default_model_path
from facetrust.detection.scanner import Scanner
from facetrust.errors import FacetrustError
from facetrust.models.card import CARD_FILE

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
FAKE_EXAMPLE = REPO / "examples/fake_00JEP4Z36Z.jpg"
REAL_EXAMPLE = REPO / "examples/real_00003.jpg"


def _model_with(folder: Path, smallest_face: int | None = None, noise_ceiling: float | None = None) -> Path:
    """The bundled detector with these limits in its card instead of its own (None: no such limit)."""
    shutil.copytree(default_model_path(), folder)
    card = json.loads((folder / CARD_FILE).read_text())
    card |= {"smallest_face": smallest_face, "noise_ceiling": noise_ceiling}
    (folder / CARD_FILE).write_text(json.dumps(card))
    return folder


def test_faces_below_the_cards_floor_are_uncertain_and_a_note_says_why(tmp_path):
    without = Scanner(_model_with(tmp_path / "none", smallest_face=None)).scan(FAKE_EXAMPLE)
    assert without.faces and without.faces[0].verdict == "fake"  # the example the floor will silence
    side = min(without.faces[0].box[2] - without.faces[0].box[0], without.faces[0].box[3] - without.faces[0].box[1])

    above = Scanner(_model_with(tmp_path / "above", smallest_face=int(side) + 1)).scan(FAKE_EXAMPLE)
    record = above.to_dict()
    jsonschema.validate(record, SCHEMA)
    assert record["model"]["smallest_face"] == int(side) + 1
    assert [f["verdict"] for f in record["faces"]] == ["uncertain"] and record["verdict"] == "uncertain"
    assert record["faces"][0]["p_fake"] == without.to_dict()["faces"][0]["p_fake"]  # the probability is kept
    assert any(f"smaller than {int(side) + 1} px, the smallest face" in note for note in record["notes"])

    below = Scanner(_model_with(tmp_path / "below", smallest_face=int(side) - 1)).scan(FAKE_EXAMPLE).to_dict()
    assert below["faces"][0]["verdict"] == "fake" and not any("smaller than" in n for n in below["notes"])
    assert below["model"]["smallest_face_source"] == "model"

    overridden = Scanner(tmp_path / "above", smallest_face=0).scan(FAKE_EXAMPLE).to_dict()  # the user judges all
    jsonschema.validate(overridden, SCHEMA)
    assert overridden["faces"][0]["verdict"] == "fake" and not any("smaller than" in n for n in overridden["notes"])
    assert (overridden["model"]["smallest_face"], overridden["model"]["smallest_face_source"]) == (None, "override")


def test_a_track_of_faces_below_the_floor_is_uncertain_and_decides_over_a_judged_real_one(tmp_path,
                                                                                            ffpp_real_video):
    judged = Scanner(_model_with(tmp_path / "none", smallest_face=None), frames=4).scan(ffpp_real_video).to_dict()
    assert judged["video"]["tracks"] and judged["video"]["verdict"] == "real"
    silenced = Scanner(_model_with(tmp_path / "huge", smallest_face=10_000), frames=4).scan(ffpp_real_video).to_dict()
    jsonschema.validate(silenced, SCHEMA)
    assert {t["verdict"] for t in silenced["video"]["tracks"]} == {"uncertain"}
    assert silenced["verdict"] == "uncertain" and silenced["video"]["p_fake"] == judged["video"]["p_fake"]


def test_the_most_suspicious_verdict_decides_a_video_then_the_score():
    from facetrust.detection.decision import DecisionRule
    from facetrust.detection.verdict import TrackVerdict, VideoVerdict

    def track(k: int, p_fake: float, verdict: str, votes: bool = True) -> TrackVerdict:
        return TrackVerdict(k, [0], [0.0], [p_fake], p_fake, verdict, votes)

    rule = DecisionRule(0.5)
    assert VideoVerdict([(0, 0.0)], [track(1, 0.07, "real"), track(2, 0.92, "uncertain")], "m", rule).deciding.id == 2
    assert VideoVerdict([(0, 0.0)], [track(1, 0.95, "uncertain"), track(2, 0.87, "fake")], "m", rule).deciding.id == 2
    assert VideoVerdict([(0, 0.0)], [track(1, 0.99, "fake", votes=False), track(2, 0.2, "real")], "m",
                        rule).deciding.id == 2  # a glimpse does not decide


def _grainy_copy(path: Path, folder: Path, sigma: float = 20.0) -> Path:
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
    noisy = pixels + np.random.default_rng(0).normal(0, sigma, pixels.shape)
    Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8)).save(folder / f"grainy_{path.stem}.png")
    return folder / f"grainy_{path.stem}.png"


def test_a_grainy_face_the_score_calls_real_is_uncertain_but_a_fake_verdict_stands(tmp_path):
    grainy = _grainy_copy(REAL_EXAMPLE, tmp_path)
    unlimited = Scanner(_model_with(tmp_path / "none", noise_ceiling=None)).scan(grainy).to_dict()
    face = unlimited["faces"][0]
    assert face["verdict"] == "real" and face["noise_level"] > 2  # what grain would make of a fake, too

    ceiling = round(face["noise_level"] - 1, 2)
    limited = Scanner(_model_with(tmp_path / "limited", noise_ceiling=ceiling)).scan(grainy).to_dict()
    jsonschema.validate(limited, SCHEMA)
    assert limited["model"]["noise_ceiling"] == ceiling
    assert [f["verdict"] for f in limited["faces"]] == ["uncertain"] and limited["verdict"] == "uncertain"
    assert limited["faces"][0]["p_fake"] == face["p_fake"]  # the probability is kept
    assert any(f"over the model's noise ceiling of {ceiling:g}" in note for note in limited["notes"])

    clean = Scanner(tmp_path / "limited").scan(REAL_EXAMPLE).to_dict()  # under the ceiling: judged as before
    assert clean["faces"][0]["noise_level"] < ceiling and clean["faces"][0]["verdict"] == "real"
    assert not any("noise ceiling" in note for note in clean["notes"])

    fake = Scanner(_model_with(tmp_path / "tiny", noise_ceiling=0.01)).scan(FAKE_EXAMPLE).to_dict()
    assert fake["faces"][0]["verdict"] == "fake" and not any("noise ceiling" in n for n in fake["notes"])

    yours = Scanner(tmp_path / "limited", noise_ceiling=0).scan(grainy).to_dict()  # the user lifts the ceiling
    jsonschema.validate(yours, SCHEMA)
    assert yours["faces"][0]["verdict"] == "real" and not any("noise ceiling" in n for n in yours["notes"])
    assert (yours["model"]["noise_ceiling"], yours["model"]["noise_ceiling_source"]) == (None, "override")
    assert limited["model"]["noise_ceiling_source"] == "model"
    lowered = Scanner(tmp_path / "none").with_decision(noise_ceiling=ceiling).scan(grainy).to_dict()
    assert lowered["faces"][0]["verdict"] == "uncertain" and lowered["model"]["noise_ceiling_source"] == "override"


def test_a_track_over_the_noise_ceiling_is_not_called_real(tmp_path, ffpp_real_video):
    silenced = Scanner(_model_with(tmp_path / "tiny", noise_ceiling=0.01), frames=4).scan(ffpp_real_video).to_dict()
    jsonschema.validate(silenced, SCHEMA)
    assert silenced["video"]["tracks"] and "real" not in {t["verdict"] for t in silenced["video"]["tracks"]}
    assert all(f["verdict"] != "real" for f in silenced["faces"])


def test_the_noise_ceiling_only_ever_turns_a_real_verdict_uncertain():
    from facetrust.detection.decision import DecisionRule

    rule = DecisionRule(0.5, noise_ceiling=4.0)
    assert [rule.verdict(p, noise=5.0) for p in (0.1, 0.5, 0.9)] == ["uncertain", "uncertain", "fake"]
    assert [rule.verdict(p, noise=3.0) for p in (0.1, 0.5, 0.9)] == ["real", "uncertain", "fake"]
    assert rule.verdict(0.1) == "real"  # grain not read: judged by the score alone
    assert DecisionRule(0.5).verdict(0.1, noise=50.0) == "real"  # no ceiling
    assert rule.overridden(noise_ceiling=0).verdict(0.1, noise=50.0) == "real"  # the user's 0: no ceiling
    assert rule.overridden(noise_ceiling=6.0).verdict(0.1, noise=5.0) == "real"
    assert rule.overridden().ceiling_source == "model"
    assert rule.overridden(noise_ceiling=4.0).ceiling_source == "override"
    with pytest.raises(FacetrustError, match="noise ceiling -1"):
        rule.overridden(noise_ceiling=-1)
