"""Video scan benchmark: seconds per 10 s of 720p video at 32 sampled frames, per stage, in one run; and issue 27's
ratio, scanning the real FF++ c40 clips against decoding just their sampled frames.

Usage: python bench/video_speed.py [--data ../shared/data] [--frames 32] [--repeats 3]

A 10-second 1280x720 H.264 clip is cut from a real FaceForensics++ video (re-encoded once, in memory).
It is scanned `repeats` times with the bundled detector and video model; the table gives the median
milliseconds of each stage the verdict record times (decode, detect, align, classify, temporal) and the
total. For scale, the same run also times the naive way of getting the same 32 frames (decode every
frame of the clip, keep 32) against facetrust's sampler, which seeks over gaps longer than 2 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import av

from facetrust.detection import Scanner
from facetrust.media import probe_video, read_input, sample_frames
from facetrust.media.video import sample_times


def ten_second_clip(source: Path, seconds: float = 10.0) -> bytes:
    """Re-encode the first `seconds` of a 720p video as H.264 (CRF 23, keyframe every 2 s)."""
    output = io.BytesIO()
    with av.open(str(source)) as reader, av.open(output, "w", format="mp4") as writer:
        video = reader.streams.video[0]
        fps = round(float(video.average_rate))
        stream = writer.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = video.codec_context.width, video.codec_context.height, "yuv420p"
        stream.options = {"crf": "23", "g": str(2 * fps)}
        for frame in reader.decode(video):
            if frame.time is not None and frame.time >= seconds:
                break
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                writer.mux(packet)
        for packet in stream.encode():
            writer.mux(packet)
    return output.getvalue()


def naive_decode_ms(clip: bytes, count: int) -> float:
    """Decode every frame, keep `count` of them at the same times as the sampler."""
    media = read_input(clip, "clip.mp4")
    targets = sample_times(probe_video(media), count=count)
    started = time.perf_counter()
    kept = 0
    with av.open(io.BytesIO(clip)) as container:
        for frame in container.decode(video=0):
            array = frame.to_ndarray(format="rgb24")
            if kept < len(targets) and frame.time + 0.5 / 30 >= targets[kept]:
                kept += 1
                del array
    return 1000 * (time.perf_counter() - started)


def sampler_ms(clip: bytes, count: int) -> float:
    started = time.perf_counter()
    frames = list(sample_frames(read_input(clip, "clip.mp4"), count=count))
    assert len(frames) == count
    return 1000 * (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    clip = ten_second_clip(args.data / "video/ffpp_c40/real/youtube_183.mp4")
    info = probe_video(read_input(clip, "clip.mp4"))
    print(f"clip: {info.width}x{info.height}, {info.duration:.1f} s, {info.fps:.0f} fps, {len(clip) / 1e6:.1f} MB")
    scanner = Scanner(frames=args.frames)
    scanner.scan(clip, name="warm-up.mp4")
    runs = [scanner.scan(clip, name="clip.mp4").timings_ms for _ in range(args.repeats)]
    model = scanner.model_info
    print(f"model {model['name']} ({model['backend']}), video: {model['video']['aggregation']}, "
          f"{args.frames} frames, median of {args.repeats} scans")
    print("| stage | ms per 10 s of video | share |\n|---|---|---|")
    total = statistics.median(r["total"] for r in runs)
    for stage in runs[0]:
        value = statistics.median(r[stage] for r in runs)
        print(f"| {stage} | {value:.0f} | {value / total:.0%} |")
    naive = statistics.median(naive_decode_ms(clip, args.frames) for _ in range(args.repeats))
    sampled = statistics.median(sampler_ms(clip, args.frames) for _ in range(args.repeats))
    print(f"\nframe decoding: decode-everything {naive:.0f} ms, facetrust sampler {sampled:.0f} ms "
          f"({naive / sampled:.1f}x)")
    clips = sorted((args.data / "video/ffpp_c40/real").glob("*.mp4"))
    decode, scan = scan_against_decode(scanner, clips, args.frames)
    print(f"\n{len(clips)} real FF++ c40 clips, {args.frames} sampled frames each: decoding those frames "
          f"{decode:.1f} s, scanning the clips {scan:.1f} s: **{scan / decode:.1f}x** the decode time (issue 27's "
          "goal: at most 2.5x)")


def scan_against_decode(scanner: Scanner, clips: list[Path], frames: int) -> tuple[float, float]:
    """Seconds to decode each clip's sampled frames, and to scan the clips, taking turns clip by clip."""
    decode = scan = 0.0
    for clip in clips:
        media = read_input(clip)
        started = time.perf_counter()
        assert sum(1 for _ in sample_frames(media, count=frames)) == frames
        decode += time.perf_counter() - started
        started = time.perf_counter()
        scanner.scan(media)
        scan += time.perf_counter() - started
    return decode, scan


if __name__ == "__main__":
    main()
