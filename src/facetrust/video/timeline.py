"""The timeline picture of a scanned video: each track's per-frame P(fake) over time, with the decision rule."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from facetrust.evaluation.plots import save_figure


def save_timeline(path: Path, record: dict) -> Path:
    """Draw from a video's verdict record (so it can be redrawn from saved JSON): per-frame P(fake) of each
    track, the track's own score as a dashed line, the image model's threshold and uncertain band, and each
    track's segments (frames at or above the face threshold) shaded in its colour, the deciding one outlined."""
    video = record["video"]
    model = record["model"]
    times = sorted(frame["time"] for frame in video["frames"])
    half = min((b - a for a, b in pairwise(times)), default=0.5) / 2  # a lone frame's span
    figure, axes = plt.subplots(figsize=(11, 3.8))
    band = model["uncertain_band"]
    for threshold, colour, what in ((model["threshold"], "orange", "frames"), (video["threshold"], "purple",
                                                                            "track scores (dashed)")):
        axes.axhspan(max(threshold - band, 0.0), min(threshold + band, 1.0), color=colour, alpha=0.12,
                     label=f"uncertain band, {what}")
        axes.axhline(threshold, color=colour, linestyle=":", linewidth=1)
    for track in video["tracks"]:
        style = "-" if track["votes"] else ":"
        line, = axes.plot(track["times"], track["p_fake_frames"], style, marker="o", markersize=3,
                          label=f"track {track['id']}: {track['verdict']} ({track['p_fake']:.2f})"
                          + ("" if track["votes"] else ", too brief to vote"))
        if track["times"]:
            axes.hlines(track["p_fake"], track["times"][0], track["times"][-1], colors=line.get_color(),
                        linestyles="--", linewidth=1)
        for segment in track.get("segments", []):  # records written before 2026-12-04 have none
            axes.axvspan(segment["start"] - half, segment["end"] + half, color=line.get_color(), alpha=0.15)
    deciding = video.get("deciding_segment")
    if deciding:
        axes.axvspan(deciding["start"] - half, deciding["end"] + half, fill=False, edgecolor="red", linewidth=1.5,
                     label=f"strongest evidence (track {deciding['track']}, {deciding['frames']} frames)")
    for frame in video["frames"]:
        axes.axvline(frame["time"], color="grey", alpha=0.15, linewidth=0.5)
    verdict = video["verdict"].upper() + ("" if video["p_fake"] is None else f" (P(fake) {video['p_fake']:.2f})")
    axes.set(xlabel="time (s)", ylabel="P(fake) per frame", ylim=(-0.02, 1.02),
             title=f"{Path(record['input']).name}: {verdict}, tracks scored by {video['aggregation']}")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # beside the plot, off the data
    return save_figure(figure, path)
