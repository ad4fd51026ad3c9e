"""Transcode any readable upload to what every browser plays: H.264/AAC MP4.

The output is at most 720p (the short side), ``yuv420p``, fast start (the
index written at the front, so playback starts before the download ends).
Pure PyAV: the wheel ships FFmpeg with libx264 and aac.
"""

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av

from .probe import MAX_SERVED_SHORT_SIDE, MediaProbeError

DEFAULT_FPS = Fraction(30)
MAX_FPS = Fraction(60)
AUDIO_RATE = 48_000


def scaled_size(
    width: int, height: int, *, short_side: int = MAX_SERVED_SHORT_SIDE
) -> tuple[int, int]:
    """Shrink so the short side is at most ``short_side``; keep even sides for yuv420p."""
    scale = min(1.0, short_side / max(min(width, height), 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


FrameHook = Callable[[av.VideoFrame], None]


def transcode(
    source: Path,
    target: Path,
    *,
    crf: int = 23,
    preset: str = "veryfast",
    on_video_frame: FrameHook | None = None,
) -> None:
    """Write ``source`` to ``target`` as H.264/AAC fast-start MP4, ≤720p.

    Frames are renumbered at a constant rate (the source's average rate,
    capped at 60 fps), which keeps the duration and suits short lessons.
    ``on_video_frame`` sees every scaled output frame (timed in seconds), so
    other work can share this decode (``courses.vision.VideoAnalyser.offer``).
    Raises MediaProbeError when the source cannot be decoded.
    """
    try:
        _transcode(source, target, crf=crf, preset=preset, on_video_frame=on_video_frame)
    except (av.FFmpegError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        raise MediaProbeError("The video could not be converted; is the file complete?") from exc


def _transcode(
    source: Path, target: Path, *, crf: int, preset: str, on_video_frame: FrameHook | None
) -> None:
    with av.open(str(source)) as src:
        in_video = src.streams.video[0]
        in_audio = src.streams.audio[0] if src.streams.audio else None
        rate = in_video.average_rate or DEFAULT_FPS
        rate = min(Fraction(rate).limit_denominator(1001), MAX_FPS)
        width, height = scaled_size(in_video.width, in_video.height)
        with av.open(
            str(target), mode="w", format="mp4", options={"movflags": "+faststart"}
        ) as out:
            video = out.add_stream("libx264", rate=rate)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.options = {"preset": preset, "crf": str(crf)}
            audio = None
            if in_audio is not None:
                audio = out.add_stream("aac", rate=AUDIO_RATE)
                audio.layout = "stereo"
            streams = [in_video] + ([in_audio] if in_audio is not None else [])
            index = 0
            for frame in src.decode(*streams):
                if isinstance(frame, av.VideoFrame):
                    scaled = frame.reformat(width=width, height=height, format="yuv420p")
                    scaled.pts, scaled.time_base = index, 1 / rate
                    index += 1
                    out.mux(video.encode(scaled))
                    if on_video_frame is not None:
                        on_video_frame(scaled)
                elif audio is not None and isinstance(frame, av.AudioFrame):
                    frame.pts = None
                    out.mux(audio.encode(frame))
            out.mux(video.encode())
            if audio is not None:
                out.mux(audio.encode())
    if index == 0:
        raise ValueError("no video frames decoded")
