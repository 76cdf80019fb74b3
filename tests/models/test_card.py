"""The typed model card: old cards load, malformed ones are refused by file and field, writing round-trips."""

import json
import shutil

import pytest

from facetrust.bundled import default_emotion_model_path, default_model_path
from facetrust.errors import FacetrustError
from facetrust.faces.face_crop import FaceCrop
from facetrust.models.card import CARD_FILE, ModelCard, VideoCard, read_card, write_card


@pytest.fixture
def card_folder(tmp_path):
    shutil.copyfile(default_model_path() / CARD_FILE, tmp_path / CARD_FILE)
    return tmp_path


def edit(folder, change) -> None:
    data = json.loads((folder / CARD_FILE).read_text())
    change(data)
    (folder / CARD_FILE).write_text(json.dumps(data))


def test_the_bundled_cards_load():
    detector = read_card(default_model_path(), ModelCard)
    assert detector.task == "detector" and detector.faces == FaceCrop(detector="cascade", mode="detect", size=256,
                                                                      margin=0.3)
    assert 0 < detector.threshold < 1 and detector.preprocess.size == 256
    emotion = read_card(default_emotion_model_path(), ModelCard)
    assert emotion.task == "emotion" and len(emotion.classes) == 7 and emotion.threshold is None


def test_a_detector_card_from_before_the_task_field_is_upgraded(card_folder):
    edit(card_folder, lambda card: card.pop("task", None))
    assert "task" not in json.loads((card_folder / CARD_FILE).read_text())
    assert read_card(card_folder, ModelCard).task == "detector"


@pytest.mark.parametrize(("change", "named"), [
    (lambda card: card.pop("temperature"), "temperature: Field required"),
    (lambda card: card["faces"].update(margin="wide"), "faces.margin"),
    (lambda card: card["faces"].update(mode="sideways"), "faces.mode"),
    (lambda card: card.update(threshold=1.7), "threshold"),
    (lambda card: card["preprocess"].update(size="big"), "preprocess.size"),
])
def test_a_malformed_card_is_refused_naming_the_file_and_the_field(card_folder, change, named):
    edit(card_folder, change)
    with pytest.raises(FacetrustError, match="malformed model card") as refused:
        read_card(card_folder, ModelCard)
    assert str(card_folder / CARD_FILE) in str(refused.value) and named in str(refused.value)


def test_unreadable_cards_and_the_wrong_kind_are_refused_by_name(card_folder):
    with pytest.raises(FacetrustError, match="not a video model"):
        read_card(card_folder, VideoCard)
    edit(card_folder, lambda card: card.update(format="other/9"))
    with pytest.raises(FacetrustError, match="unknown card format 'other/9'"):
        read_card(card_folder, ModelCard)
    (card_folder / CARD_FILE).write_text("{not json")
    with pytest.raises(FacetrustError, match=f"{CARD_FILE}: cannot read the model card"):
        read_card(card_folder, ModelCard)


def test_writing_keeps_every_field_and_leaves_no_partial_file(card_folder, tmp_path):
    card = read_card(card_folder, ModelCard)
    out = tmp_path / "written"
    out.mkdir()
    write_card(out, card)
    assert [p.name for p in out.iterdir()] == [CARD_FILE]
    again = read_card(out, ModelCard)
    assert again == card and again.metrics_by_source == card.metrics_by_source  # kept, though not typed
    original = json.loads((card_folder / CARD_FILE).read_text())
    assert json.loads((out / CARD_FILE).read_text()) == {**original, "task": "detector", "encodings": {}}
