from pathlib import Path

import pytest

from facetrust.errors import FacetrustError
from facetrust.video.identities import VideoSample, discover_videos, identity_folds, parse_name
from facetrust.video.tracks import box_similarity, link_tracks


@pytest.mark.parametrize(("stem", "label", "expected"), [
    ("Deepfakes_183_253", 1, ("Deepfakes", ("183", "253"))),
    ("NeuralTextures_878_866", 1, ("NeuralTextures", ("878", "866"))),
    ("youtube_183", 0, ("real", ("183",))),
    ("183", 0, ("real", ("183",))),
    ("actors_08__podium_speech_happy", 0, ("real", ("actor08",))),
    ("holiday_clip", 1, ("fake", ("holiday_clip",))),
])
def test_names_give_method_and_people(stem, label, expected):
    assert parse_name(stem, label) == expected


def sample(stem: str, label: int) -> VideoSample:
    return VideoSample(Path(f"{stem}.mp4"), label, *parse_name(stem, label))


def test_folds_never_share_a_person():
    stems = [("youtube_1", 0), ("youtube_2", 0), ("youtube_3", 0), ("youtube_4", 0), ("actors_05__x", 0),
             ("Deepfakes_1_2", 1), ("Face2Face_2_1", 1), ("FaceSwap_3_4", 1), ("Deepfakes_4_3", 1),
             ("FaceSwap_2_3", 1)]  # links people 1-2 and 3-4 into one group
    samples = [sample(*s) for s in stems]
    folds = identity_folds(samples, 2)
    people = [{p for s, f in zip(samples, folds, strict=True) if f == fold for p in s.identities} for fold in (0, 1)]
    assert not people[0] & people[1]
    assert sorted(folds.count(f) for f in (0, 1)) == [1, 9]  # actor 05 alone; everyone else is linked
    with pytest.raises(FacetrustError, match="cannot make 3 identity-disjoint folds from 2"):
        identity_folds(samples, 3)


def test_ffpp_folder_gives_balanced_identity_disjoint_folds(shared_data):
    samples = discover_videos(shared_data / "video/ffpp_c40")
    assert len(samples) == 60 and sum(s.label for s in samples) == 40
    assert {s.method for s in samples} == {"real", "Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"}
    folds = identity_folds(samples, 5)
    for fold in range(5):
        inside = {p for s, f in zip(samples, folds, strict=True) if f == fold for p in s.identities}
        outside = {p for s, f in zip(samples, folds, strict=True) if f != fold for p in s.identities}
        assert not inside & outside
        assert sum(f == fold for f in folds) == 12


def test_tracks_follow_two_moving_faces_and_survive_a_missed_frame():
    left = [(10 + 15 * t, 50, 110 + 15 * t, 170) for t in range(6)]
    right = [(400 - 20 * t, 60, 500 - 20 * t, 180) for t in range(6)]
    frames = [[left[t], right[t]] if t != 3 else [right[t]] for t in range(6)]  # left face missed in frame 3
    frames[4] = [frames[4][1], frames[4][0]]  # detectors return faces in any order
    tracks = link_tracks(frames)
    assert [t.id for t in tracks] == [1, 2]
    assert tracks[0].frames == [0, 1, 2, 4, 5] and tracks[1].frames == [0, 1, 2, 3, 4, 5]
    assert (4, 1) in tracks[0].members and (4, 0) in tracks[1].members


def test_a_face_far_away_or_after_a_long_gap_starts_a_new_track():
    face = (100, 100, 200, 220)
    far = (600, 100, 700, 220)
    assert box_similarity(face, far) == 0.0 and box_similarity(face, face) == 1.0
    tracks = link_tracks([[face], [far], [], [], [], [face]])
    assert [t.frames for t in tracks] == [[0], [1], [5]]
