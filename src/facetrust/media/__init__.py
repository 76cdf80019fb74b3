"""Safe decoding of untrusted images and videos, with limits and typed errors."""

from facetrust.media.image import DecodedImage, decode_image
from facetrust.media.limits import DEFAULT_LIMITS, MediaLimits
from facetrust.media.sniff import MediaKind, sniff_kind
from facetrust.media.source import MediaInput, read_input
from facetrust.media.video import VideoFrame, VideoInfo, probe_video, read_ahead, sample_frames, sample_times

__all__ = [
    "DEFAULT_LIMITS", "DecodedImage", "MediaInput", "MediaKind", "MediaLimits", "VideoFrame", "VideoInfo",
    "decode_image", "probe_video", "read_ahead", "read_input", "sample_frames", "sample_times", "sniff_kind",
]
