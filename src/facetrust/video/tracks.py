"""Linking the faces found in sampled frames into tracks, one per person on screen.

Frames sampled for a scan are often 0.3-1 s apart, so a face can move far between two of them: two
faces are linked when their boxes overlap (IoU) or their centres are close relative to the face size,
matched one-to-one per frame (Hungarian assignment). A track survives a few frames without its face
(turned head, missed detection) before it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Box = tuple[float, float, float, float]


@dataclass
class Track:
    """One person: `members` are (frame position, face index within that frame), in frame order."""

    id: int
    members: list[tuple[int, int]] = field(default_factory=list)

    @property
    def frames(self) -> list[int]:
        return [position for position, _ in self.members]


def link_tracks(boxes: list[list[Box]], min_similarity: float = 0.3, max_gap: int = 2) -> list[Track]:
    """Tracks from the face boxes of each sampled frame (frame positions are list indices).

    Similarity of two boxes is the larger of their IoU and 1 - centre distance / mean box side, so a
    face that moved half its width is still the same face. Tracks are numbered from 1 by first appearance.
    """
    from scipy.optimize import linear_sum_assignment  # 0.2 s to import: only when a video is scanned

    open_tracks: list[tuple[Track, Box, int]] = []  # track, its last box, frame position of that box
    finished: list[Track] = []
    next_id = 1
    for position, frame_boxes in enumerate(boxes):
        still_open = [(t, b, p) for t, b, p in open_tracks if position - p <= max_gap + 1]
        finished += [t for t, b, p in open_tracks if position - p > max_gap + 1]
        similarity = np.array([[box_similarity(b, new) for new in frame_boxes] for _, b, _ in still_open])
        matched: dict[int, int] = {}
        if similarity.size:
            rows, cols = linear_sum_assignment(-similarity)
            matched = {c: r for r, c in zip(rows, cols, strict=True) if similarity[r, c] >= min_similarity}
        updated = []
        for index, box in enumerate(frame_boxes):
            if index in matched:
                track = still_open[matched[index]][0]
            else:
                track, next_id = Track(next_id), next_id + 1
            track.members.append((position, index))
            updated.append((track, box, position))
        kept = {id(t) for t, _, _ in updated}
        open_tracks = updated + [entry for entry in still_open if id(entry[0]) not in kept]
    finished += [t for t, _, _ in open_tracks]
    return sorted(finished, key=lambda t: t.id)


def box_similarity(a: Box, b: Box) -> float:
    """max(IoU, 1 - centre distance / mean side of the two boxes), in [0, 1]."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - ix * iy
    iou = ix * iy / union if union > 0 else 0.0
    side = ((a[2] - a[0]) + (a[3] - a[1]) + (b[2] - b[0]) + (b[3] - b[1])) / 4
    distance = np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)
    closeness = 1.0 - distance / side if side > 0 else 0.0
    return float(max(iou, closeness, 0.0))
