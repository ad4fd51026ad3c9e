"""Look inside a media file with PyAV: never trust the name or the client."""

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

PLAYABLE_VIDEO_CODECS = frozenset({"h264"})
PLAYABLE_AUDIO_CODECS = frozenset({"aac", "mp3", ""})
PLAYABLE_CONTAINERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2"})
# Containers a creator may upload; anything else is refused before decoding.
ACCEPTED_CONTAINERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi"})
# The short side of what the site serves: 720p landscape, 720 wide portrait.
MAX_SERVED_SHORT_SIDE = 720


class MediaProbeError(Exception):
    """The file is not a video we can read; the message says why, for the creator."""


@dataclass(frozen=True)
class MediaInfo:
    """What a probe found. Duration in seconds; codecs as FFmpeg names them."""

    container: str
    duration_seconds: float
    width: int
    height: int
    video_codec: str
    audio_codec: str
    is_fast_start: bool = True

    @property
    def is_browser_playable(self) -> bool:
        """H.264 (+ AAC) in MP4 plays in every browser without transcoding."""
        return (
            self.container in PLAYABLE_CONTAINERS
            and self.video_codec in PLAYABLE_VIDEO_CODECS
            and self.audio_codec in PLAYABLE_AUDIO_CODECS
        )

    @property
    def needs_transcode(self) -> bool:
        """Serve as-is only H.264/AAC MP4 at most 720p with its index up front."""
        return (
            not self.is_browser_playable
            or min(self.width, self.height) > MAX_SERVED_SHORT_SIDE
            or not self.is_fast_start
        )


def probe(path: Path) -> MediaInfo:
    """Read container and stream headers, then decode one frame to prove it is whole."""
    try:
        with av.open(str(path)) as container:
            if container.format.name not in ACCEPTED_CONTAINERS:
                raise MediaProbeError(
                    f"{container.format.long_name or container.format.name} files are not "
                    "accepted; upload an MP4, MOV or WebM video."
                )
            if not container.streams.video:
                raise MediaProbeError("The file has no video stream.")
            video = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            duration = _duration_seconds(container, video)
            next(container.decode(video=0))
            return MediaInfo(
                container=container.format.name,
                duration_seconds=duration,
                width=video.width,
                height=video.height,
                video_codec=video.codec_context.name,
                audio_codec=audio.codec_context.name if audio is not None else "",
                is_fast_start=is_fast_start(path),
            )
    except MediaProbeError:
        raise
    except (av.FFmpegError, StopIteration, OSError, UnicodeDecodeError) as exc:
        raise MediaProbeError("The file is not a readable video.") from exc


def _duration_seconds(container: "av.container.InputContainer", video: "av.VideoStream") -> float:
    if video.duration is not None and video.time_base is not None:
        return float(video.duration * video.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def is_fast_start(path: Path) -> bool:
    """True when the MP4 index (``moov``) comes before the media data (``mdat``).

    Walks the top-level boxes only: a browser can start playing such a file
    before the whole of it has arrived.
    """
    with path.open("rb") as handle:
        while header := handle.read(8):
            if len(header) < 8:
                return False
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size == 1:
                size = int.from_bytes(handle.read(8), "big") - 8
            elif size == 0:
                return False
            handle.seek(size - 8, 1)
    return False


def poster_frame(path: Path, *, at_seconds: float = 0.5) -> Image.Image:
    """Return the first decodable frame at or after ``at_seconds`` as an image."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = None
        for frame in container.decode(stream):
            first = first or frame
            if frame.time is not None and frame.time >= at_seconds:
                return frame.to_image()
        if first is None:
            raise MediaProbeError("The video has no frames.")
        return first.to_image()
