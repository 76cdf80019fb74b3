import pytest

from facetrust.detection import DecisionRule, FaceVerdict, ScanResult
from facetrust.errors import FacetrustError


@pytest.mark.parametrize(("p", "expected"), [(0.05, "real"), (0.39, "real"), (0.4, "uncertain"), (0.55, "uncertain"),
                                             (0.6, "fake"), (0.99, "fake")])
def test_uncertain_band_around_the_threshold(p, expected):
    assert DecisionRule(threshold=0.5, uncertain_band=0.1).verdict(p) == expected


def test_no_band_means_a_plain_threshold():
    rule = DecisionRule(0.5, 0.0)
    assert rule.verdict(0.5) == "fake" and rule.verdict(0.4999) == "real"


def test_an_overridden_threshold_is_marked_as_the_users_and_a_band_alone_is_not():
    card = DecisionRule(0.7362)
    assert card.to_dict() == {"threshold": 0.7362, "uncertain_band": 0.1, "threshold_source": "model"}
    assert card.overridden(uncertain_band=0.0).source == "model"
    chosen = card.overridden(threshold=0.3)
    assert (chosen.threshold, chosen.uncertain_band, chosen.source) == (0.3, 0.1, "override")
    assert chosen.overridden() == chosen


@pytest.mark.parametrize(("threshold", "band", "named"), [(1.5, 0.1, "threshold 1.5"), (-0.1, 0.1, "threshold -0.1"),
                                                          (0.5, 0.6, "uncertain band 0.6")])
def test_a_rule_outside_the_probability_scale_is_refused_by_name(threshold, band, named):
    with pytest.raises(FacetrustError, match=named):
        DecisionRule(threshold, band)


def face(p, verdict):
    return FaceVerdict(box=(0, 0, 10, 10), detection_score=0.99, source="detected", p_fake=p, verdict=verdict)


def test_a_face_below_the_smallest_judged_size_is_uncertain_whatever_its_p_fake():
    rule = DecisionRule(0.5, 0.1, smallest_face=64)
    assert rule.verdict(0.99, face_side=63.5) == rule.verdict(0.01, face_side=63.5) == "uncertain"
    assert rule.verdict(0.99, face_side=64) == "fake" and rule.verdict(0.01, face_side=200) == "real"
    assert DecisionRule(0.5, 0.1).verdict(0.99, face_side=10) == "fake"  # no floor in the card: none applied
    assert rule.overridden(threshold=0.6).smallest_face == 64  # a user's threshold keeps the model's floor


def test_a_user_may_set_the_face_floor_and_the_rule_says_it_is_theirs():
    rule = DecisionRule(0.5, 0.1, smallest_face=64)
    assert rule.floor_source == "model"
    judge_all = rule.overridden(smallest_face=0)
    assert judge_all.smallest_face is None and judge_all.floor_source == "override"
    assert judge_all.verdict(0.99, face_side=10) == "fake"
    stricter = rule.overridden(threshold=0.6, smallest_face=128)
    assert (stricter.smallest_face, stricter.floor_source, stricter.source) == (128, "override", "override")
    assert stricter.verdict(0.99, face_side=100) == "uncertain"
    with pytest.raises(FacetrustError, match="smallest face -1 px"):
        rule.overridden(smallest_face=-1)


def test_the_most_suspicious_face_decides_the_input():
    model = {"name": "m", "version": "1", "architecture": "cnn", "threshold": 0.5, "uncertain_band": 0.1,
             "temperature": 1.0}
    result = ScanResult("a.jpg", "0" * 64, "image", 10, 10, [face(0.1, "real"), face(0.55, "uncertain")], model,
                        {"decode": 1, "faces": 1, "classify": 1, "total": 3})
    assert result.verdict == "uncertain" and result.p_fake == 0.55
    result.faces.append(face(0.9, "fake"))
    assert result.verdict == "fake"
    assert ScanResult("b.jpg", "0" * 64, "image", 10, 10, [], model, {}).verdict == "no_face"
