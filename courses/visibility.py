"""The one visibility rule: what viewers may see of the catalogue.

A short video or a course is on the site when it is published and its
current content was approved by moderation. Every change to what viewers
would see of it (its details, sections, lessons, their videos, previews,
subtitles) sends it back to review first (``studio.services.moderation``),
so "approved" always means "approved as it is now". Lessons, their media and
subtitles are visible through their course; a short video's media through
the video. Every public list, page, search, recommendation and media check
asks this module, re-exported by ``courses.selectors``.
"""

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
