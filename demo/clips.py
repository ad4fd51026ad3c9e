"""Make small, real H.264 MP4 clips and poster images with PyAV (it ships FFmpeg).

Each clip is a vertical 9:16 picture: a two-colour gradient from the clip's
hue, a disc that moves across it and a caption, so every video looks
different in the feed. A quiet AAC tone gives "tap for sound" something to do.
"""

import colorsys
import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

FPS = 24
CJK_FONTS = (  # Debian's fonts-noto-cjk, if installed
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
SAMPLE_RATE = 44_100


@dataclass(frozen=True)
class ClipSpec:
    """What one clip shows. ``hue`` in [0, 1); seconds and size in pixels."""

    caption: str
    hue: float
    seconds: float = 3.0
    width: int = 360
    height: int = 640
    tone_hz: float = 440.0


def render_clip(spec: ClipSpec, path: Path) -> bytes:
    """Write the clip to ``path`` as a fast-start MP4; return its JPEG poster.

    Fast start moves the index to the front so playback begins before the
    whole file arrives; FFmpeg needs a real file for that second pass.
    """
    caption = _caption_layer(spec)
    base = (_gradient(spec) * (1 - caption) + 255 * caption).astype(np.uint8)
    poster = b""
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "30"}
        audio = out.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        n_frames = int(spec.seconds * FPS)
        for i in range(n_frames):
            rgb = _frame(base, spec, i / max(n_frames - 1, 1))
            if i == n_frames // 3:
                poster = _jpeg(rgb)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            out.mux(video.encode(frame))
        out.mux(video.encode())
        for sound in _tone_frames(spec):
            out.mux(audio.encode(sound))
        out.mux(audio.encode())
    return poster


def _gradient(spec: ClipSpec) -> NDArray[np.float32]:
    top = np.array(colorsys.hsv_to_rgb(spec.hue, 0.65, 0.95), dtype=np.float32)
    bottom = np.array(colorsys.hsv_to_rgb((spec.hue + 0.12) % 1, 0.85, 0.45), dtype=np.float32)
    t = np.linspace(0, 1, spec.height, dtype=np.float32)[:, None, None]
    column = top * (1 - t) + bottom * t
    return (np.broadcast_to(column, (spec.height, spec.width, 3)) * 255).astype(np.float32)


def _caption_font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """A CJK-capable font if the machine has one, else Pillow's own (Latin only)."""
    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _caption_layer(spec: ClipSpec) -> NDArray[np.float32]:
    """An alpha mask (height, width) with the caption drawn in white."""
    layer = Image.new("L", (spec.width, spec.height), 0)
    draw = ImageDraw.Draw(layer)
    font, has_cjk = _caption_font(max(spec.width // 12, 12))
    # Without a CJK font, Chinese would draw as empty boxes: keep the Latin part.
    text = spec.caption if has_cjk else spec.caption.encode("ascii", "ignore").decode().strip()
    draw.text((spec.width // 2, spec.height // 2), text or "kf", fill=255, font=font, anchor="mm")
    return np.asarray(layer, dtype=np.float32)[:, :, None] / np.float32(255)


def _frame(base: NDArray[np.uint8], spec: ClipSpec, t: float) -> NDArray[np.uint8]:
    """The still picture with the moving disc drawn in its bounding box only."""
    rgb = base.copy()
    radius = int(spec.width * 0.12)
    cx = int(spec.width * (0.15 + 0.7 * t))
    cy = int(spec.height * (0.25 + 0.1 * np.sin(t * 2 * np.pi)))
    y0, y1 = max(cy - radius, 0), min(cy + radius + 1, spec.height)
    x0, x1 = max(cx - radius, 0), min(cx + radius + 1, spec.width)
    ys, xs = np.ogrid[y0:y1, x0:x1]
    disc = (xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2
    box = rgb[y0:y1, x0:x1]
    box[disc] = 255 - box[disc] // 3
    return rgb


def _tone_frames(spec: ClipSpec, sample_rate: int = SAMPLE_RATE) -> list[av.AudioFrame]:
    """A soft sine tone with a fade, cut into AAC-sized frames."""
    n = int(spec.seconds * sample_rate)
    t = np.arange(n, dtype=np.float32) / sample_rate
    envelope = np.minimum(1, np.minimum(t, spec.seconds - t) * 4)
    samples = (0.08 * envelope * np.sin(2 * np.pi * spec.tone_hz * t)).astype(np.float32)
    frames = []
    for offset in range(0, n, 1024):
        chunk = samples[offset : offset + 1024]
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = offset
        frame.time_base = Fraction(1, sample_rate)
        frames.append(frame)
    return frames


def _jpeg(rgb: NDArray[np.uint8]) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=80)
    return out.getvalue()
