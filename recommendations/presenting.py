"""Turn served keys into loaded videos/courses with a human reason, in fixed queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from courses.selectors import course_list_published, titles_for_ids, videos_by_ids

from .serving import Served

if TYPE_CHECKING:
    from courses.models import Course, ShortVideo  # types only: rows courses' selectors load


@dataclass(frozen=True)
class Presented:
    obj: ShortVideo | Course
    kind: str
    score: float
    reason_kind: str
    reason_text: str
    reason_item: str | None
    propensity: float  # serving's probability of this pick here (1: not an exploration pick)
    explore_candidates: int | None  # fresh videos the exploration pick was drawn from


def present(items: list[Served]) -> list[Presented]:
    """Load the objects behind ``items`` (dropping vanished ones) and word the reasons."""
    video_ids = [s.id for s in items if s.kind == "video"]
    course_ids = [s.id for s in items if s.kind == "course"]
    sources = [str(s.reason["item"]) for s in items if s.reason.get("item")]
    objects: dict[str, Any] = (
        {f"v{v.pk}": v for v in videos_by_ids(ids=video_ids)} if video_ids else {}
    )
    if course_ids:
        objects |= {f"c{c.pk}": c for c in course_list_published().filter(pk__in=course_ids)}
    titles = _titles(sources)
    result = []
    for item in items:
        obj = objects.get(item.key)
        if obj is not None:
            kind = item.reason.get("kind", "for_you")
            source = item.reason.get("item")
            text = _reason_text(kind, obj, titles.get(source or "", ""))
            result.append(
                Presented(
                    obj,
                    item.kind,
                    item.score,
                    kind,
                    text,
                    source,
                    item.propensity,
                    item.reason.get("candidates"),
                )
            )
    return result


def _titles(keys: list[str]) -> dict[str, str]:
    found = titles_for_ids(
        video_ids=[int(k[1:]) for k in keys if k.startswith("v")],
        course_ids=[int(k[1:]) for k in keys if k.startswith("c")],
    )
    return {f"v{pk}": t for pk, t in found.videos.items()} | {
        f"c{pk}": t for pk, t in found.courses.items()
    }


def _reason_text(kind: str, obj: ShortVideo | Course, source_title: str) -> str:
    if kind == "because_you_watched" and source_title:
        return _("Because you watched “%(title)s”") % {"title": source_title}
    if kind == "up_next" and source_title:
        return _("Often watched after “%(title)s”") % {"title": source_title}
    if kind == "followed_creator":
        return _("New from a creator you follow")
    if kind == "fresh":
        return _("New on kfplatform")
    if kind == "trending":
        return _("Trending now")
    return _("Popular in %(category)s") % {"category": obj.category.display_name}
