"""Lesson chapters from shot boundaries and on-screen titles.

Each shot proposes a chapter starting at its first second, titled by its
keyframe's title line (:func:`courses.vision.ocr.title_line`). Then, as a
viewer would expect from Bilibili's or YouTube's chapters:

* consecutive shots showing the same title are one chapter (a slide whose
  bullets build up, or a cut to the speaker and back to the slide);
* a shot with no title continues the chapter before it (an untitled
  opening is a chapter of its own, titled "");
* a chapter shorter than ``min_seconds`` joins the one before it (the
  first joins the next), so no chapter is a flash.

The first chapter always starts at 0. A title may be "" (nothing on
screen): the glue names it ("Part 2") in the viewer's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from .types import Chapter, Shot

# Titles at least this similar are the same (OCR may misread a glyph between shots).
SAME_TITLE = 0.8
MIN_CHAPTER_SECONDS = 10.0


def same_title(a: str, b: str) -> bool:
    """True for equal titles, allowing a misread glyph or two."""
    if not a or not b:
        return False
    return a == b or SequenceMatcher(None, a, b).ratio() >= SAME_TITLE


def chapters_from(
    shots: Sequence[Shot],
    titles: Sequence[str],
    *,
    duration: float,
    min_seconds: float = MIN_CHAPTER_SECONDS,
) -> tuple[Chapter, ...]:
    """Chapters of a video from its shots and each shot's title ("" when none)."""
    if len(shots) != len(titles):
        raise ValueError("one title per shot is needed")
    if not shots:
        return ()
    # (start, title) of each chapter; ends are the next start.
    proposed: list[tuple[float, str]] = []
    for shot, title in zip(shots, titles, strict=True):
        if not proposed:
            proposed.append((0.0, title))
        elif title and not same_title(title, proposed[-1][1]):
            proposed.append((shot.start, title))
    proposed = _merge_short(proposed, duration=duration, min_seconds=min_seconds)
    ends = [start for start, _ in proposed[1:]] + [duration]
    return tuple(
        Chapter(start=round(start, 3), end=round(end, 3), title=title)
        for (start, title), end in zip(proposed, ends, strict=True)
    )


def _merge_short(
    proposed: list[tuple[float, str]], *, duration: float, min_seconds: float
) -> list[tuple[float, str]]:
    """Fold chapters shorter than ``min_seconds`` into a neighbour, shortest first."""
    chapters = list(proposed)
    while len(chapters) > 1:
        ends = [start for start, _ in chapters[1:]] + [duration]
        lengths = [end - start for (start, _), end in zip(chapters, ends, strict=True)]
        shortest = min(range(len(chapters)), key=lengths.__getitem__)
        if lengths[shortest] >= min_seconds:
            break
        if shortest == 0:
            # The opening joins the next chapter, which now starts at 0 under its own title.
            title = chapters[1][1] or chapters[0][1]
            chapters[0:2] = [(0.0, title)]
        else:
            del chapters[shortest]
    return chapters
