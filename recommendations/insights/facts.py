"""Item facts both insight screens show: title, creator, whether the feed may show it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from courses.selectors import (
    course_is_visible,
    is_visible,
    item_status_rows,
)

if TYPE_CHECKING:
    pass

# --- Item facts shared by both screens --------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    """An item's title, creator and whether the feed may still show it."""

    title: str
    creator_id: int
    is_live: bool  # published, approved (and a video's media is ready)


def item_facts(keys: Iterable[str]) -> dict[str, ItemFacts]:
    """Facts of ``"v12"``/``"c3"`` keys; deleted items are absent. Two queries at most."""
    keys = list(keys)
    video_ids = [int(k[1:]) for k in keys if k[:1] == "v" and k[1:].isdigit()]
    course_ids = [int(k[1:]) for k in keys if k[:1] == "c" and k[1:].isdigit()]
    facts: dict[str, ItemFacts] = {}
    videos, courses = item_status_rows(video_ids=video_ids, course_ids=course_ids)
    for pk, title, creator, status, moderation, asset in videos:
        live = _is_live(status, moderation) and asset == "ready"
        facts[f"v{pk}"] = ItemFacts(title, creator, live)
    for pk, title, creator, status, moderation, approved_at in courses:
        live = course_is_visible(status=status, moderation=moderation, approved_at=approved_at)
        facts[f"c{pk}"] = ItemFacts(title, creator, live)
    return facts


def _is_live(status: str, moderation: str) -> bool:
    return is_visible(status=status, moderation=moderation)
