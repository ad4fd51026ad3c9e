"""Course covers for the demo, drawn with Pillow: the course title over the
topic's hue, a chip naming the topic, and a motif per category (ruled paper
for education, a code grid for technology, paint drops for art, waves for
life), so the catalogue reads like a real one at a glance.

The title uses the slides' CJK font (``fonts-noto-cjk``); without it the
cover keeps the Latin part of the title in Pillow's own font, as the clips do.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .slides import MissingFontError, font_path

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
COVER_DRAW_SIZE = (1280, 720)  # as common.images.COVER_SIZE: the rule re-encodes it
MOTIFS = ("education", "technology", "art", "life")
_SANS_SC = 2  # Noto Sans CJK SC inside the collection (as demo.slides)


def render_cover(*, title: str, label: str, hue: float, motif: str, seed: int = 0) -> bytes:
    """Return a 1280×720 JPEG cover; ``motif`` is a category slug (see ``MOTIFS``)."""
    width, height = COVER_DRAW_SIZE
    image = _background(width, height, hue).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    _draw_motif(ImageDraw.Draw(overlay), motif, width, height, random.Random(f"{title}:{seed}"))
    image = Image.alpha_composite(image, overlay)
    draw = ImageDraw.Draw(image)
    margin = 72
    chip_font, has_cjk = _font(34, bold=False)
    label = _drawable(label, has_cjk)
    chip_width = int(draw.textlength(label, font=chip_font)) + 48
    draw.rounded_rectangle(
        (margin, margin, margin + chip_width, margin + 60), 30, fill=(255, 255, 255, 235)
    )
    ink = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.8, 0.35))
    draw.text((margin + 24, margin + 30), label, font=chip_font, fill=ink, anchor="lm")
    lines, title_font = _title_lines(draw, _drawable(title, has_cjk), max_width=width - 2 * margin)
    line_height = (
        int(title_font.size * 1.25) if isinstance(title_font, ImageFont.FreeTypeFont) else 40
    )
    y = height - margin - line_height * len(lines)
    for line in lines:
        draw.text((margin + 3, y + 4), line, font=title_font, fill=(0, 0, 0, 90))  # soft shadow
        draw.text((margin, y), line, font=title_font, fill=(255, 255, 255, 255))
        y += line_height
    draw.rectangle(
        (margin, height - margin + 18, margin + 160, height - margin + 26),
        fill=(255, 255, 255, 220),
    )
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=95)  # the cover rule re-encodes it
    return out.getvalue()


def _background(width: int, height: int, hue: float) -> Image.Image:
    """A diagonal gradient from a light tint of ``hue`` to a deep shade of its neighbour."""
    light = np.array(colorsys.hsv_to_rgb(hue, 0.55, 0.92), dtype=np.float32)
    deep = np.array(colorsys.hsv_to_rgb((hue + 0.07) % 1, 0.8, 0.38), dtype=np.float32)
    # Drawn small and scaled up: a smooth gradient loses nothing, and it is fast.
    small_w, small_h = 64, 36
    across = np.linspace(0, 0.6, small_w, dtype=np.float32)[None, :]
    down = np.linspace(0, 0.4, small_h, dtype=np.float32)[:, None]
    t = (across + down)[:, :, None]
    small = Image.fromarray(((light * (1 - t) + deep * t) * 255).astype(np.uint8))
    return small.resize((width, height), Image.Resampling.BILINEAR)


def _draw_motif(
    draw: ImageDraw.ImageDraw, motif: str, width: int, height: int, rng: random.Random
) -> None:
    """Translucent white shapes on the right, away from the title at the bottom left."""
    soft, faint = (255, 255, 255, 70), (255, 255, 255, 38)
    if motif == "education":  # ruled paper with a margin line
        for y in range(60, height, 48):
            draw.line((width * 0.45, y, width, y), fill=faint, width=3)
        draw.line((width * 0.55, 0, width * 0.55, height), fill=(255, 120, 120, 90), width=4)
    elif motif == "technology":  # a dot grid and a bracket pair
        for x in range(int(width * 0.5), width, 40):
            for y in range(40, height, 40):
                draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=faint)
        font, _ = _font(300, bold=True)
        draw.text((width * 0.78, height * 0.42), "</>", font=font, fill=soft, anchor="mm")
    elif motif == "art":  # overlapping paint drops
        for _ in range(7):
            r = rng.randint(60, 170)
            cx, cy = rng.randint(int(width * 0.5), width), rng.randint(0, height)
            draw.ellipse(
                (cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, rng.randint(25, 60))
            )
    else:  # life: gentle waves
        for k in range(6):
            base = height * (0.15 + 0.13 * k)
            points = [
                (x, base + 26 * math.sin(x / 90 + k * 0.9))
                for x in range(int(width * 0.4), width + 20, 20)
            ]
            draw.line(points, fill=soft if k % 2 else faint, width=6)


@lru_cache(maxsize=32)
def _font(size: int, *, bold: bool) -> tuple[Font, bool]:
    """The slides' CJK font, or Pillow's own (Latin only) without it."""
    try:
        return ImageFont.truetype(str(font_path(bold=bold)), size, index=_SANS_SC), True
    except MissingFontError:
        return ImageFont.load_default(size=size), False


def _drawable(text: str, has_cjk: bool) -> str:
    """Without a CJK font Chinese draws as boxes: keep the Latin part."""
    if has_cjk:
        return text
    return " ".join(text.encode("ascii", "ignore").decode().split()) or "kf"


def _title_lines(
    draw: ImageDraw.ImageDraw, title: str, *, max_width: int
) -> tuple[list[str], Font]:
    """The title on one line if it fits at a readable size, else on two."""
    for size in range(96, 60, -6):
        font, _ = _font(size, bold=True)
        if draw.textlength(title, font=font) <= max_width:
            return [title], font
    halves = _split_in_two(title)
    for size in range(88, 30, -4):
        font, _ = _font(size, bold=True)
        if all(draw.textlength(half, font=font) <= max_width for half in halves):
            return halves, font
    return halves, font


def _split_in_two(title: str) -> list[str]:
    """Split at the space nearest the middle, or mid-way through a run of Chinese."""
    middle = len(title) / 2
    spaces = [i for i, ch in enumerate(title) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle)) if spaces else round(middle)
    return [title[:cut].strip(), title[cut:].strip()]
