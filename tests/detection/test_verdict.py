import pytest

from facetrust.detection import FaceVerdict, ScanResult, verdict_for


@pytest.mark.parametrize(("p", "expected"), [(0.05, "real"), (0.39, "real"), (0.4, "uncertain"), (0.55, "uncertain"),
                                             (0.6, "fake"), (0.99, "fake")])
def test_uncertain_band_around_the_threshold(p, expected):
    assert verdict_for(p, threshold=0.5, uncertain_band=0.1) == expected


def test_no_band_means_a_plain_threshold():
    assert verdict_for(0.5, 0.5, 0.0) == "fake" and verdict_for(0.4999, 0.5, 0.0) == "real"


def face(p, verdict):
    return FaceVerdict(box=(0, 0, 10, 10), detection_score=0.99, source="detected", p_fake=p, verdict=verdict)


def test_the_most_suspicious_face_decides_the_input():
    model = {"name": "m", "version": "1", "architecture": "cnn", "threshold": 0.5, "uncertain_band": 0.1,
             "temperature": 1.0}
    result = ScanResult("a.jpg", "0" * 64, "image", 10, 10, [face(0.1, "real"), face(0.55, "uncertain")], model,
                        {"decode": 1, "faces": 1, "classify": 1, "total": 3})
    assert result.verdict == "uncertain" and result.p_fake == 0.55
    result.faces.append(face(0.9, "fake"))
    assert result.verdict == "fake"
    assert ScanResult("b.jpg", "0" * 64, "image", 10, 10, [], model, {}).verdict == "no_face"
