"""Segment Chinese and English text into space-separated terms for search.

jieba's search mode also emits the shorter words inside long ones, so the
query 编程 finds a title "Python编程入门".
"""

import logging
import re

import jieba

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
