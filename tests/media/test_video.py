import io
from fractions import Fraction

import av
import numpy as np
import pytest

from facetrust.errors import CorruptMediaError, MediaTooLargeError, NoVideoStreamError
from facetrust.media import MediaLimits, probe_video, read_ahead, read_input, sample_frames, sample_times, sniff_kind
from tests.corpus.craft import lying_frame_size_mkv, webm, with_duration, without_duration


def test_probe_reads_real_ffpp_metadata(ffpp_real_video):
    media = read_input(ffpp_real_video)
    assert sniff_kind(media) == "video"
    info = probe_video(media)
    assert info.codec == "h264" and info.fps == pytest.approx(30, abs=0.1)
    assert info.width >= 480 and info.height >= 360
    assert info.duration == pytest.approx(info.frame_count / info.fps, rel=0.05)


def test_count_sampling_spreads_frames_over_the_whole_clip(ffpp_real_video):
    media = read_input(ffpp_real_video)
    info = probe_video(media)
    frames = list(sample_frames(media, count=8))
    assert len(frames) == 8
    times = [f.time for f in frames]
    assert times == sorted(times) and len(set(f.index for f in frames)) == 8
    assert times[0] < info.duration / 8 and times[-1] > info.duration * 7 / 8
    expected = sample_times(info, count=8)
    assert all(abs(t - e) <= 1.5 / info.fps for t, e in zip(times, expected, strict=True))
    assert frames[0].pixels.shape == (info.height, info.width, 3)
    # Different moments of a real clip are different pictures.
    assert np.abs(frames[0].pixels.astype(int) - frames[-1].pixels.astype(int)).mean() > 1


def test_reading_ahead_gives_the_same_frames_and_each_error_where_its_frame_was(ffpp_real_video):
    media = read_input(ffpp_real_video)
    ahead = list(read_ahead(sample_frames(media, count=6)))
    plain = list(sample_frames(media, count=6))
    assert [f.index for f in ahead] == [f.index for f in plain]
    assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(ahead, plain, strict=True))

    def two_then_broken():
        yield from plain[:2]
        raise CorruptMediaError("clip.mp4", "broken after two frames")

    got = []
    with pytest.raises(CorruptMediaError, match="broken after two frames"):
        for frame in read_ahead(two_then_broken(), depth=4):
            got.append(frame.index)
    assert got == [f.index for f in plain[:2]]
    source = sample_frames(media, count=6)
    reader = read_ahead(source)
    next(reader)
    reader.close()  # a scan that stops early
    assert source.gi_frame is None  # the video's generator is closed, its file with it


def sideways_clip(upright: np.ndarray, rotation: int, frames: int = 6) -> bytes:
    """An H.264 MP4 as a phone records an upright scene: frames stored turned a quarter clockwise, plus a display
    matrix telling players to turn them back `rotation` degrees counterclockwise."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.height, stream.width = upright.shape[1], upright.shape[0]
        stream.pix_fmt = "yuv420p"
        stream.set_display_rotation(rotation)
        stored = np.ascontiguousarray(np.rot90(upright, -1))
        for _ in range(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def test_frames_come_upright_as_a_player_shows_them(astronaut):
    scene = np.ascontiguousarray(astronaut[:384])  # 512 wide, 384 high: a turn shows in the shape
    frames = list(sample_frames(read_input(sideways_clip(scene, 90), "phone.mp4"), count=3))
    assert [f.rotation for f in frames] == [90, 90, 90]
    assert all(f.pixels.shape == scene.shape for f in frames)
    assert np.abs(frames[0].pixels.astype(int) - scene.astype(int)).mean() < 6  # x264's loss only


def woven_clip(first: np.ndarray, second: np.ndarray, interlaced: bool, frames: int = 4) -> bytes:
    """An H.264 MP4 of one frame woven from two moments, as a broadcast camera films: even lines from `first`, odd
    lines from `second`; coded as interlaced (top field first) or, the same pixels, as progressive."""
    woven = first.copy()
    woven[1::2] = second[1::2]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width = woven.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.options = {"crf": "16", **({"x264-params": "interlaced=1:tff=1"} if interlaced else {})}
        for _ in range(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(woven, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def combing(pixels: np.ndarray) -> float:
    """How far odd lines stray from the mean of the even lines around them: high where two moments are woven."""
    rows = pixels.astype(float)
    return float(np.abs(rows[1:-1:2] - (rows[0:-2:2] + rows[2::2]) / 2).mean())


def test_an_interlaced_frame_loses_its_combing(astronaut):
    moved = np.roll(astronaut, 12, axis=1)  # the scene a field later: the camera panned 12 px
    interlaced = list(sample_frames(read_input(woven_clip(astronaut, moved, True), "broadcast.mp4"), count=2))
    progressive = list(sample_frames(read_input(woven_clip(astronaut, moved, False), "woven.mp4"), count=2))
    assert [f.interlaced for f in interlaced] == [True, True] and not any(f.interlaced for f in progressive)
    assert combing(progressive[0].pixels) > 4 * combing(interlaced[0].pixels)  # a progressive frame is left as it is
    assert combing(interlaced[0].pixels) < 1.5 * combing(astronaut)  # no more combed than the still scene
    assert np.abs(interlaced[0].pixels.astype(int) - astronaut.astype(int)).mean() < 8  # the first field's moment


def test_a_scan_of_interlaced_video_says_its_frames_were_rebuilt(astronaut):
    from facetrust.faces.stage import find_faces

    clip = woven_clip(astronaut, np.roll(astronaut, 12, axis=1), True)
    found = find_faces(clip, frames=2)
    assert any("interlaced video: 2 of 2 sampled frames deinterlaced" in n for n in found.notes)
    assert all(frame.faces for frame in found.frames)  # the astronaut's face is found in the rebuilt frames


def test_an_8k_phone_clip_is_sampled_not_refused():
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 7680, 4320, "yuv420p"
        for _ in range(2):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.full((4320, 7680, 3), 90, np.uint8))))
        container.mux(stream.encode())
    frames = list(sample_frames(read_input(buffer.getvalue(), "8k.mp4"), count=2))
    assert [f.pixels.shape for f in frames] == [(4320, 7680, 3)] * 2


def test_fps_sampling_and_cap(ffpp_real_video):
    media = read_input(ffpp_real_video)
    info = probe_video(media)
    every_second = list(sample_frames(media, fps=1.0))
    assert len(every_second) == int(info.duration)
    assert [round(f.time) for f in every_second] == list(range(int(info.duration)))
    assert len(list(sample_frames(media, fps=30.0, max_frames=5))) == 5


def make_video(fmt: str = "mp4", width: int = 64, height: int = 48, frames: int = 10,
               audio_only: bool = False) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        if audio_only:
            stream = container.add_stream("aac", rate=16000)
            samples = np.zeros((1, 1024), np.float32)
            for i in range(10):
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 16000, i * 1024
                for packet in stream.encode(frame):
                    container.mux(packet)
        else:
            stream = container.add_stream("mpeg4", rate=10)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = Fraction(1, 10)
            for i in range(frames):
                image = np.full((height, width, 3), (i * 20) % 256, np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def test_audio_only_file_has_no_video_stream():
    media = read_input(make_video(audio_only=True), "speech.m4a")
    with pytest.raises(NoVideoStreamError, match=r"speech\.m4a: .*no video stream"):
        sniff_kind(media)
        probe_video(media)


def test_corrupt_mp4_is_a_clear_error(ffpp_real_video):
    data = bytearray(ffpp_real_video.read_bytes())
    rng = np.random.default_rng(0)
    data[64:] = rng.integers(0, 256, len(data) - 64, dtype=np.uint8).tobytes()  # keep only the ftyp box
    media = read_input(bytes(data), "corrupt.mp4")
    assert sniff_kind(media) == "video"
    with pytest.raises(CorruptMediaError, match=r"corrupt\.mp4: "):
        list(sample_frames(media, count=4))


def test_truncated_video_yields_what_it_can_or_fails_clearly(ffpp_real_video):
    data = ffpp_real_video.read_bytes()
    media = read_input(data[: len(data) // 3], "truncated.mp4")
    try:
        frames = list(sample_frames(media, count=8))
    except CorruptMediaError as exc:
        assert "truncated.mp4" in str(exc)
    else:
        assert len(frames) < 8


def test_duration_and_resolution_caps():
    clip = read_input(make_video(width=320, height=240, frames=30), "clip.mp4")
    assert probe_video(clip).duration == pytest.approx(3.0, abs=0.2)
    with pytest.raises(MediaTooLargeError, match=r"clip\.mp4: video lasts 3 s, above the limit of 1 s"):
        probe_video(clip, MediaLimits(max_video_seconds=1))
    with pytest.raises(MediaTooLargeError, match=r"320x240, above the limit"):
        probe_video(clip, MediaLimits(max_video_pixels=320 * 200))


def test_decode_time_cap_stops_a_slow_decode():
    from facetrust.errors import DecodeTimeoutError

    clip = read_input(make_video(frames=30), "slow.mp4")
    with pytest.raises(DecodeTimeoutError, match=r"slow\.mp4: decoding took longer than 0 s"):
        list(sample_frames(clip, count=10, limits=MediaLimits(max_decode_seconds=0)))


def test_frames_larger_than_the_header_declares_are_refused_before_they_are_allocated():
    # Item 7 of issue 25: the header says 64x64, the third frame is 6000x6000 (36 Mpx, above the 33 Mpx 8K cap).
    media = read_input(lying_frame_size_mkv(), "lying.mkv")
    assert probe_video(media).width == 64
    with pytest.raises(MediaTooLargeError, match=r"lying\.mkv: a frame is larger than the limit"):
        list(sample_frames(media, count=4))


def test_a_doctored_duration_still_yields_the_frames_the_stream_holds():
    # Item 8: one second of video whose header claims 15 minutes; sampling by the header finds nothing.
    media = read_input(with_duration(webm(frames=10), 900.0), "doctored.webm")
    assert probe_video(media).duration == pytest.approx(900.0)
    frames = list(sample_frames(media, count=4))
    assert len(frames) == 4 and all(0 <= f.time < 1.0 for f in frames)


def test_a_video_with_no_decodable_frame_is_an_error_not_an_empty_result():
    data = bytearray(with_duration(webm(frames=10), 900.0))
    cluster = data.index(b"\x1f\x43\xb6\x75")  # Matroska Cluster: every frame's data is after it
    data[cluster + 4:] = bytes(len(data) - cluster - 4)
    with pytest.raises(CorruptMediaError, match=r"broken\.webm: "):
        list(sample_frames(read_input(bytes(data), "broken.webm"), count=4))


def test_a_webm_without_a_duration_is_timed_from_its_packets():
    # Item 9: live-recorded WebM files often have no Duration element.
    media = read_input(without_duration(webm(frames=10)), "live.webm")
    info = probe_video(media)
    assert info.duration == pytest.approx(1.0) and info.frame_count == 10
    assert len(list(sample_frames(media, count=4))) == 4
