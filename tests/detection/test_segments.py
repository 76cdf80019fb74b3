import numpy as np
import pytest

from facetrust.detection.decision import DecisionRule
from facetrust.detection.verdict import TrackVerdict, VideoVerdict, fake_segments
from facetrust.detection.video_judge import mean_of_judged_frames


def test_segments_are_the_runs_of_frames_at_or_above_the_threshold():
    times = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    segments = fake_segments(times, [0.9, 0.6, 0.2, 0.5, 0.1, 0.7], threshold=0.5)
    assert [(s.start, s.end, s.frames) for s in segments] == [(0.0, 0.5, 2), (1.5, 1.5, 1), (2.5, 2.5, 1)]
    assert segments[0].p_fake_mean == pytest.approx(0.75) and segments[0].excess == pytest.approx(0.5)
    assert fake_segments(times, [0.1] * 6, threshold=0.5) == []
    assert fake_segments([], [], threshold=0.5) == []


def test_the_record_names_the_deciding_tracks_strongest_segment():
    def track(id_: int, p_frames: list[float], votes: bool = True) -> TrackVerdict:
        times = [0.5 * k for k in range(len(p_frames))]
        return TrackVerdict(id_, list(range(len(p_frames))), times, p_frames, max(p_frames), "fake", votes,
                            segments=fake_segments(times, p_frames, 0.5))

    video = VideoVerdict([(k, 0.5 * k) for k in range(5)],
                         [track(1, [0.6, 0.1, 0.9, 0.95, 0.2]), track(2, [0.99] * 5, votes=False)], "mean_of_frames",
                         DecisionRule(0.5))
    record = video.to_dict()
    assert record["deciding_track"] == 1  # track 2 is more suspicious but too brief to vote
    assert record["deciding_segment"] == {"track": 1, "start": 1.0, "end": 1.5, "frames": 2, "p_fake_mean": 0.925}
    assert [len(t["segments"]) for t in record["tracks"]] == [2, 1]
    quiet = VideoVerdict([(0, 0.0)], [track(1, [0.1, 0.2])], "mean_of_frames", DecisionRule(0.5)).to_dict()
    assert quiet["deciding_segment"] is None and quiet["tracks"][0]["segments"] == []


def test_a_tracks_mean_leaves_out_the_frames_whose_face_is_too_small_to_judge():
    p_fake, floored = np.array([0.95, 0.9, 0.2, 0.3]), DecisionRule(0.5, smallest_face=96)
    assert mean_of_judged_frames(p_fake, [40, 60, 150, 120], floored) == pytest.approx(0.25)  # far, then near
    assert mean_of_judged_frames(p_fake, [40, 60, 150, 120], DecisionRule(0.5)) == pytest.approx(0.5875)  # no floor
    assert mean_of_judged_frames(p_fake, [40, 60, 50, 70], floored) == pytest.approx(0.5875)  # none judged: all count
