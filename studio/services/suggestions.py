"""A creator's answer to a keyword suggested from their video's on-screen text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.db import transaction
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from courses.services import analysis_suggestion_answer, short_video_update

if TYPE_CHECKING:
    from courses.models import ShortVideo

SuggestionAction = Literal["tag", "title", "ignore"]
TITLE_MAX = 120  # ShortVideo.title's max_length


@transaction.atomic
def suggestion_apply(*, video: ShortVideo, keyword: str, action: SuggestionAction) -> ShortVideo:
    """Add the keyword as a tag or to the title (an edit like any other), or ignore it.

    Either way the suggestion is answered and not offered again.

    Raises:
        ApplicationError: not a suggestion for this video, or the title would be too long.
    """
    analysis_suggestion_answer(
        asset=video.asset, keyword=keyword, state="ignored" if action == "ignore" else "accepted"
    )
    if action == "ignore":
        return video
    tags = [tag.name for tag in video.tags.all()]
    title = video.title
    if action == "tag" and keyword.lower() not in {t.lower() for t in tags}:
        tags.append(keyword)
    elif action == "title":
        title = f"{title} {keyword}"
        if len(title) > TITLE_MAX:
            raise ApplicationError(
                _("The title would be longer than %(n)s characters.") % {"n": TITLE_MAX},
                code="title_too_long",
            )
    return short_video_update(
        video=video,
        title=title,
        category=video.category,
        description=video.description,
        tags=", ".join(tags),
        course=video.course,
    )
