"""Video probing and uniform frame sampling through PyAV, bounded in duration, resolution and time."""

from __future__ import annotations

import io
import math
import time
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import av
import cv2
import numpy as np

from facetrust.errors import (
    CorruptMediaError,
    DecodeTimeoutError,
    MediaTooLargeError,
    NoVideoStreamError,
    UnsupportedMediaError,
)
from facetrust.media.limits import DEFAULT_LIMITS, MediaLimits
from facetrust.media.source import MediaInput

# Beyond this gap between two wanted frames, seeking to a keyframe beats decoding every frame between.
SEEK_GAP_SECONDS = 2.0


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about its first video stream."""

    duration: float
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str
    has_audio: bool


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: its estimated index, presentation time in seconds, and RGB pixels as displayed
    (`rotation`: the degrees counterclockwise they were turned from the stored frame by its display matrix;
    `interlaced`: the frame held two fields, and the pixels are `deinterlaced`)."""

    index: int
    time: float
    pixels: np.ndarray
    rotation: int = 0
    interlaced: bool = False


def probe_video(media: MediaInput, limits: MediaLimits = DEFAULT_LIMITS) -> VideoInfo:
    """Read the metadata and enforce the duration and resolution caps; no frame is decoded."""
    with _open(media) as container:
        return _checked_info(media, container, limits)


def sample_times(info: VideoInfo, count: int | None = None, fps: float | None = None,
                 max_frames: int = 300) -> list[float]:
    """Times of frames spread uniformly: `count` segment centres, or every 1/fps seconds, at most max_frames."""
    if (count is None) == (fps is None):
        raise ValueError("give exactly one of count or fps")
    if fps is not None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        count = max(1, math.floor(info.duration * fps))
        if count <= max_frames:
            return [i / fps for i in range(count)]
    assert count is not None
    if count < 1:
        raise ValueError("count must be at least 1")
    count = min(count, max_frames, max(info.frame_count, 1))
    return [(i + 0.5) * info.duration / count for i in range(count)]


def sample_frames(media: MediaInput, count: int | None = None, fps: float | None = None,
                  max_frames: int = 300, limits: MediaLimits = DEFAULT_LIMITS) -> Iterator[VideoFrame]:
    """Yield frames at uniformly sampled times, seeking over long gaps, within the decode-time cap.

    The header's duration only places the targets: when it leads to no frame at all (a doctored header),
    the stream is timed from its own packets and decoded in order, so a lying header cannot turn a video into
    a clean `no_face`. A video with no decodable frame is an error."""
    deadline = time.monotonic() + limits.max_decode_seconds
    with _open(media) as container:
        info = _checked_info(media, container, limits)
    found = False
    for frame in _frames_at(media, info, sample_times(info, count, fps, max_frames), limits, deadline, seek=True):
        found = True
        yield frame
    if found:
        return
    with _open(media) as container:
        info = _packet_timed(media, container, info)
    for frame in _frames_at(media, info, sample_times(info, count, fps, max_frames), limits, deadline, seek=False):
        found = True
        yield frame
    if not found:
        raise CorruptMediaError(media.name, "no video frame could be decoded")


def read_ahead(frames: Generator[VideoFrame, None, None], depth: int = 2) -> Iterator[VideoFrame]:
    """`frames` in order, the next `depth` decoded on a thread while the caller works on this one: decoding (PyAV)
    and face finding (onnxruntime, OpenCV) both run outside Python's lock, so on two cores a video's scan
    overlaps them (docs/PERFORMANCE.md). An error reaches the caller where its frame would have."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="decode")
    try:
        pending = deque(pool.submit(next, frames, None) for _ in range(depth))
        while (frame := pending.popleft().result()) is not None:
            pending.append(pool.submit(next, frames, None))
            yield frame
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        frames.close()  # a scan that stopped early closes the video now, not when the generator is collected


def _frames_at(media: MediaInput, info: VideoInfo, targets: list[float], limits: MediaLimits, deadline: float,
               seek: bool) -> Iterator[VideoFrame]:
    """The first frame at or after each target time; the decoder refuses any frame above the pixel cap before
    allocating it (a header may declare a small size and the stream carry huge frames)."""
    with _open(media) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.options = {"max_pixels": str(limits.max_video_pixels)}
        decoded: Iterator[av.VideoFrame] | None = None
        position = -math.inf
        half_frame = 0.5 / info.fps
        try:
            for target in targets:
                if decoded is None or (seek and target - position > SEEK_GAP_SECONDS):
                    if seek:
                        container.seek(int(target / stream.time_base), stream=stream, backward=True)
                    decoded = container.decode(stream)
                for frame in decoded:
                    if time.monotonic() > deadline:
                        raise DecodeTimeoutError(
                            media.name, f"decoding took longer than {limits.max_decode_seconds:.0f} s")
                    position = _frame_time(frame, stream)
                    if position + half_frame >= target:
                        yield VideoFrame(round(position * info.fps), position, *_upright(frame),
                                         interlaced=bool(frame.interlaced_frame))
                        break
                else:
                    return  # stream ended before this target: later targets cannot be reached either
        except av.error.ArgumentError as exc:  # what the decoder's max_pixels check raises
            raise MediaTooLargeError(
                media.name, f"a frame is larger than the limit of {limits.max_video_pixels:,} pixels although the "
                f"header declares {info.width}x{info.height} ({exc})") from exc
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(media.name, f"video data is damaged ({exc})") from exc


def _upright(frame: av.VideoFrame) -> tuple[np.ndarray, int]:
    """The pixels turned as the frame's display matrix says, and by how much: phones store a clip filmed upright
    as sideways frames plus a rotation for the player, and a face finder does not find sideways faces."""
    pixels = frame.to_ndarray(format="rgb24")
    if frame.interlaced_frame:
        pixels = deinterlaced(pixels)
    turns = round(frame.rotation / 90) % 4 if frame.rotation % 90 == 0 else 0  # other angles: as stored
    if not turns:
        return pixels, 0
    return np.ascontiguousarray(np.rot90(pixels, turns)), 90 * turns


def deinterlaced(pixels: np.ndarray) -> np.ndarray:
    """An interlaced frame rebuilt from its even lines (one field), stretched back to full height: combing made the
    detector call real faces fake two to three times as often. Of the rebuilds measured (docs/VIDEO.md, "Interlaced
    video"), one field is the only one that lowered the false alarms both on validation photos woven without a codec
    and on FaceForensics++ clips coded as interlaced H.264; replacing only the combed pixels did better on the first
    and worse than no rebuild on the second. Its cost: half the vertical resolution, which sharp faces pay for."""
    height, width = pixels.shape[:2]
    return cv2.resize(pixels[0::2], (width, height), interpolation=cv2.INTER_LINEAR)


def _packet_timed(media: MediaInput, container: av.container.InputContainer, info: VideoInfo) -> VideoInfo:
    """`info` with the duration and frame count the stream's packets show (demuxed, not decoded): for headers
    that lack a duration or lie about it."""
    stream = container.streams.video[0]
    try:
        times = [float(packet.pts * packet.time_base) for packet in container.demux(stream)
                 if packet.pts is not None and packet.size]
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(media.name, f"video data is damaged ({exc})") from exc
    if not times:
        raise CorruptMediaError(media.name, "the video stream holds no frames")
    return replace(info, duration=max(times) - min(times) + 1 / info.fps, frame_count=len(times))


def _open(media: MediaInput) -> av.container.InputContainer:
    try:
        return av.open(io.BytesIO(media.data), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(media.name, f"cannot open video container ({exc})") from exc


def _frame_time(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> float:
    if frame.time is not None:
        return float(frame.time)
    return float(frame.pts * stream.time_base) if frame.pts is not None else 0.0


def _checked_info(media: MediaInput, container: av.container.InputContainer,
                  limits: MediaLimits) -> VideoInfo:
    if not container.streams:  # e.g. an MP4 cut before its index (moov), which most muxers write last
        raise CorruptMediaError(media.name, "the container lists no streams at all: damaged or truncated")
    if not container.streams.video:
        raise NoVideoStreamError(media.name, "container has no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg has no decoder for the codec the stream names
        raise UnsupportedMediaError(media.name, "the video stream's codec is unknown or damaged; nothing can decode it")
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        raise CorruptMediaError(media.name, "video stream has no frame size")
    if width * height > limits.max_video_pixels:
        raise MediaTooLargeError(
            media.name, f"video is {width}x{height}, above the limit of {limits.max_video_pixels:,} pixels")
    fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
    duration = _duration(container, stream)
    frame_count = stream.frames or round(duration * fps)
    if duration <= 0 and frame_count > 0:
        duration = frame_count / fps
    info = VideoInfo(
        duration=duration, fps=fps, frame_count=frame_count, width=width, height=height,
        codec=stream.codec_context.name, has_audio=bool(container.streams.audio))
    if duration <= 0:  # no duration in the header (e.g. a live-recorded WebM): count the packets instead
        info = _packet_timed(media, container, info)
    if info.duration > limits.max_video_seconds:
        raise MediaTooLargeError(
            media.name, f"video lasts {info.duration:.0f} s, above the limit of {limits.max_video_seconds:.0f} s")
    return info


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0
