"""The demo's media files: course covers, short-video clips and lesson clips.

Clips are slide lessons (``demo.slides``: titles, code, formulas and bullet
points of the video's topic), 15–60 s long so there is something to scroll
past and watch time to measure. Seeding renders a bounded set of distinct
files at low resolution and reuses them: ``SHORTS_PER_TOPIC`` short clips
and ``LESSONS_PER_TOPIC`` lesson clips per topic, whatever the catalogue's
size. A file already on disk is kept, so a second seed renders nothing.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image

from common.images import cover_reencode

from .clips import ClipSpec, render_clip
from .covers import render_cover
from .slides import Deck, MissingFontError, render_deck, render_slide, topic_deck

SHORTS_PER_TOPIC = 2
LESSONS_PER_TOPIC = 3
SHORT_CLIP_SIZE = (360, 640)  # portrait, as the feed shows it
LESSON_CLIP_SIZE = (640, 360)  # landscape, as a screen-recorded lesson
CLIP_CRF = 32  # slides are flat colour and text: a high CRF stays sharp enough
CLIP_SAMPLE_RATE = 22_050
CLIP_PRESET = "superfast"  # half veryfast's encoding time here, files about 10 % larger


@dataclass(frozen=True)
class ClipFiles:
    """Media names (under MEDIA_ROOT) of one rendered clip, its poster ("" for
    none: the lesson player shows none) and its size."""

    clip: str
    poster: str
    seconds: float
    width: int
    height: int


def short_deck(tag_slug: str, hue: float, variant: int) -> Deck:
    """Short ``variant`` of a topic: 3 or 4 slides of 6 s (18 or 24 s), portrait."""
    deck = topic_deck(
        tag_slug,
        seed=100 + variant,
        n_slides=2 + variant % 2,
        seconds_per_slide=6.0,
        size=SHORT_CLIP_SIZE,
        hue=(hue + 0.04 * variant) % 1,
    )
    return dataclasses.replace(
        deck, sample_rate=CLIP_SAMPLE_RATE, tone_hz=300.0 + 40 * (variant % 4)
    )


def lesson_deck(tag_slug: str, hue: float, variant: int) -> Deck:
    """Lesson ``variant`` of a topic: 4 to 6 slides of 7 s (28 to 42 s), landscape."""
    deck = topic_deck(
        tag_slug,
        seed=variant,
        n_slides=3 + variant % 3,
        seconds_per_slide=7.0,
        size=LESSON_CLIP_SIZE,
        hue=hue,
    )
    return dataclasses.replace(deck, sample_rate=CLIP_SAMPLE_RATE, tone_hz=262.0)


def short_clip_files(tag_slug: str, hue: float, variant: int) -> ClipFiles:
    """Render (or reuse) short ``variant`` of a topic, with its poster."""
    name = f"{tag_slug}-{variant % SHORTS_PER_TOPIC}"
    deck = short_deck(tag_slug, hue, variant % SHORTS_PER_TOPIC)
    files = ClipFiles(
        f"videos/demo/short-{name}.mp4",
        f"posters/demo/short-{name}.jpg",
        deck.seconds,
        deck.width,
        deck.height,
    )
    _render_once(deck, files, caption=tag_slug)
    return files


def lesson_clip_files(tag_slug: str, hue: float, variant: int) -> ClipFiles:
    """Render (or reuse) lesson ``variant`` of a topic: private, as lesson media is."""
    name = f"{tag_slug}-{variant % LESSONS_PER_TOPIC}"
    deck = lesson_deck(tag_slug, hue, variant % LESSONS_PER_TOPIC)
    files = ClipFiles(
        f"private/videos/demo/lesson-{name}.mp4",
        "",
        deck.seconds,
        deck.width,
        deck.height,
    )
    _render_once(deck, files, caption=tag_slug)
    return files


def course_cover_file(*, slug: str, title: str, label: str, hue: float, motif: str) -> str:
    """Render (or reuse) a course's cover through the studio's cover rule; its media name."""
    name = f"covers/demo/{slug}.jpg"
    path = Path(settings.MEDIA_ROOT) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        drawn = render_cover(title=title, label=label, hue=hue, motif=motif)
        path.write_bytes(cover_reencode(data=drawn).read())
    return name


def _render_once(deck: Deck, files: ClipFiles, *, caption: str) -> None:
    root = Path(settings.MEDIA_ROOT)
    clip = root / files.clip
    poster = root / files.poster if files.poster else None
    if clip.exists() and (poster is None or poster.exists()):
        return
    clip.parent.mkdir(parents=True, exist_ok=True)
    try:
        render_deck(deck, clip, crf=CLIP_CRF, preset=CLIP_PRESET)
        first = render_slide(deck.slides[0], width=deck.width, height=deck.height, hue=deck.hue)
        still = _jpeg(Image.fromarray(first))
    except MissingFontError:
        # No CJK font (fonts-noto-cjk): the moving-disc gradient clip, as long.
        spec = ClipSpec(caption, deck.hue, deck.seconds, deck.width, deck.height)
        still = render_clip(spec, clip)
    if poster is not None:
        poster.parent.mkdir(parents=True, exist_ok=True)
        poster.write_bytes(still)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
