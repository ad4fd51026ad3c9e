"""Segment Chinese and English text into space-separated terms for search.

jieba's search mode also emits the shorter words inside long ones, so the
query 编程 finds a title "Python编程入门".
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import jieba

if TYPE_CHECKING:
    from ..models import Course, ShortVideo

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"\w", re.UNICODE)


def segment(text: str) -> str:
    """Return ``text`` as lower-cased, de-duplicated terms joined by spaces."""
    seen: dict[str, None] = {}
    for token in jieba.cut_for_search(text.lower()):
        token = token.strip()
        if token and _WORD.search(token):
            seen.setdefault(token, None)
    return " ".join(seen)


def search_terms(query: str) -> list[str]:
    """Split a search box query into the terms to match, longest first."""
    return sorted(segment(query).split(), key=len, reverse=True)


def short_video_search_text(video: ShortVideo, tag_names: list[str], screen_text: str = "") -> str:
    """The segmented text search matches a video by.

    ``screen_text`` is what is written on screen (courses.vision's OCR of
    the keyframes): a knowledge video's slides carry its topic even when the
    title is "Lesson 3".
    """
    return segment(" ".join([video.title, video.description, *tag_names, screen_text]))


def course_search_text(course: Course, tag_names: list[str]) -> str:
    """The segmented text search matches a course by."""
    return segment(" ".join([course.title, course.summary, course.description, *tag_names]))
