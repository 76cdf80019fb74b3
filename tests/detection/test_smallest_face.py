"""A face smaller than the smallest the model was shown to judge gets `uncertain`, and the record says why."""

import json
import shutil
from pathlib import Path

import jsonschema

from facetrust.bundled import default_model_path
from facetrust.detection.scanner import Scanner
from facetrust.models.card import CARD_FILE

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
FAKE_EXAMPLE = REPO / "examples/fake_00JEP4Z36Z.jpg"


def _model_with_floor(folder: Path, smallest_face: int | None) -> Path:
    shutil.copytree(default_model_path(), folder)
    card = json.loads((folder / CARD_FILE).read_text())
    card["smallest_face"] = smallest_face
    (folder / CARD_FILE).write_text(json.dumps(card))
    return folder


def test_faces_below_the_cards_floor_are_uncertain_and_a_note_says_why(tmp_path):
    without = Scanner(_model_with_floor(tmp_path / "none", None)).scan(FAKE_EXAMPLE)
    assert without.faces and without.faces[0].verdict == "fake"  # the example the floor will silence
    side = min(without.faces[0].box[2] - without.faces[0].box[0], without.faces[0].box[3] - without.faces[0].box[1])

    above = Scanner(_model_with_floor(tmp_path / "above", int(side) + 1)).scan(FAKE_EXAMPLE)
    record = above.to_dict()
    jsonschema.validate(record, SCHEMA)
    assert record["model"]["smallest_face"] == int(side) + 1
    assert [f["verdict"] for f in record["faces"]] == ["uncertain"] and record["verdict"] == "uncertain"
    assert record["faces"][0]["p_fake"] == without.to_dict()["faces"][0]["p_fake"]  # the probability is kept
    assert any(f"smaller than {int(side) + 1} px, the smallest face" in note for note in record["notes"])

    below = Scanner(_model_with_floor(tmp_path / "below", int(side) - 1)).scan(FAKE_EXAMPLE).to_dict()
    assert below["faces"][0]["verdict"] == "fake" and not any("smaller than" in n for n in below["notes"])
    assert below["model"]["smallest_face_source"] == "model"

    overridden = Scanner(tmp_path / "above", smallest_face=0).scan(FAKE_EXAMPLE).to_dict()  # the user judges all
    jsonschema.validate(overridden, SCHEMA)
    assert overridden["faces"][0]["verdict"] == "fake" and not any("smaller than" in n for n in overridden["notes"])
    assert (overridden["model"]["smallest_face"], overridden["model"]["smallest_face_source"]) == (None, "override")


def test_a_track_of_faces_below_the_floor_is_uncertain_and_decides_over_a_judged_real_one(tmp_path,
                                                                                            ffpp_real_video):
    judged = Scanner(_model_with_floor(tmp_path / "none", None), frames=4).scan(ffpp_real_video).to_dict()
    assert judged["video"]["tracks"] and judged["video"]["verdict"] == "real"
    silenced = Scanner(_model_with_floor(tmp_path / "huge", 10_000), frames=4).scan(ffpp_real_video).to_dict()
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
