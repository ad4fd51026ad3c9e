"""A course's cover, or its placeholder: ``{% course_cover course "card" %}``.

One rule for every place a course shows as a card or a header, so a course
without a cover never shows a broken image. The cover is a column of the
course row: a list costs no extra query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

if TYPE_CHECKING:
    from courses.models import Course  # a type only: the tag takes the row a view selected

register = template.Library()

# Display size in CSS pixels per place (width, height), all 16:9 like the
# stored 1280×720 cover; width/height attributes reserve the box before load.
COVER_SLOTS = {"card": (320, 180), "header": (640, 360), "thumb": (96, 54)}


@register.inclusion_tag("partials/course_cover.html")
def course_cover(
    course: Course, slot: str = "card", *, use_pending: bool = False
) -> dict[str, Any]:
    """The cover image of ``course`` sized for ``slot``, or the generated placeholder.

    ``use_pending`` shows a creator their cover still in review (the studio).
    Only the header loads eagerly: it is the first thing the course page shows.
    """
    width, height = COVER_SLOTS[slot]
    image = course.pending_cover if use_pending and course.pending_cover else course.cover
    return {
        "course": course,
        "slot": slot,
        "url": image.url if image else "",
        "width": width,
        "height": height,
        "lazy": slot != "header",
        "initial": (course.title.strip()[:1] or "·").upper(),
    }
