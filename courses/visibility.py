"""The one visibility rule: what viewers may see of the catalogue.

A short video is on the site when it is published and its current content
was approved by moderation; every change to it sends it back to review
first (``courses.moderation``), so "approved" means "approved as it
is now".

A course keeps its approved version live while a change is reviewed (as
Udemy or 小鹅通 do; buyers keep their lessons): it is on the site when it is
published and was approved once (``approved_at``, or approved as it is now).
What changed is held back until approved: changed details wait in
``Course.pending`` (viewers see the approved ones), and a new or changed
lesson or a new section has its own moderation state; only approved ones
are shown or played. A lesson's media and subtitles are visible through the
lesson; a short video's through the video. Every public list, page, search,
recommendation and media check asks this module, re-exported by
``courses.selectors``.
"""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Moderation(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PublishStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")


def visible_q(prefix: str = "") -> Q:
    """The rule as a filter; ``prefix`` reaches it through a relation, e.g. ``"course__"``."""
    return Q(
        **{f"{prefix}status": PublishStatus.PUBLISHED, f"{prefix}moderation": Moderation.APPROVED}
    )


def is_visible(*, status: str, moderation: str) -> bool:
    """The rule on values already read (``values_list`` rows, instances)."""
    return status == PublishStatus.PUBLISHED and moderation == Moderation.APPROVED


def course_visible_q(prefix: str = "") -> Q:
    """The course rule as a filter; ``prefix`` reaches it through a relation (``"course__"``)."""
    live = Q(**{f"{prefix}moderation": Moderation.APPROVED}) | Q(
        **{f"{prefix}approved_at__isnull": False}
    )
    return Q(**{f"{prefix}status": PublishStatus.PUBLISHED}) & live


def course_is_visible(*, status: str, moderation: str, approved_at: datetime | None) -> bool:
    """The course rule on values already read."""
    live = moderation == Moderation.APPROVED or approved_at is not None
    return status == PublishStatus.PUBLISHED and live


def lesson_visible_q(prefix: str = "") -> Q:
    """A lesson viewers may see and (with access) play: approved, in a visible course.

    A lesson is only ever in a section approved with it, so sections need no check.
    """
    return course_visible_q(f"{prefix}course__") & Q(**{f"{prefix}moderation": Moderation.APPROVED})
