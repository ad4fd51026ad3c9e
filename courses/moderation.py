"""Moderation: the rule for changed content, moderators' decisions, viewers' reports.

What viewers see of a short video or a course is what a moderator approved
(``courses.visibility``). Every studio write that changes it — the item's
details, a section's title, a lesson added, renamed, made a free preview or
given another video, subtitles attached — calls ``review_after_change`` on
the video or course, in the same transaction (the writes in
``courses.authoring`` do; the studio calls them through ``courses.services``). With ``STUDIO_MODERATION_REQUIRED``
the item goes back to review; without it, content stays approved, except
after a rejection, which only a moderator lifts. Publishing never changes
moderation. Writes that add nothing new for viewers (reordering, deleting a
lesson or a section, removing subtitles, prices of coupons) leave it as it is.

A short video in review is off the site until approved. A course that was
approved once stays live while a change is reviewed; only the change is
held back (``change_held_back``): its details wait in ``Course.pending``,
a new or changed lesson and a new section carry their own pending state,
a section's new name waits in ``pending_title``. Approval applies them all
at once; a rejection keeps the approved version live, the change held back
for the creator to fix, and tells them why.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import Kind, notification_create

from .models import Course, Lesson, MediaAsset, Moderation, Report, Section, ShortVideo
from .publishing import followers_notify_if_visible, item_lock
from .search.text import course_search_text


def moderation_after_change(current: str) -> str:
    """The moderation state of an item whose viewer-visible content is new or changed."""
    if current == Moderation.APPROVED and not settings.STUDIO_MODERATION_REQUIRED:
        return Moderation.APPROVED
    return Moderation.PENDING


def change_held_back(course: Course) -> bool:
    """Whether a change to ``course`` waits for review while its approved version stays live."""
    live = course.moderation == Moderation.APPROVED or course.approved_at is not None
    return live and moderation_after_change(course.moderation) == Moderation.PENDING


def review_after_change(item: ShortVideo | Course) -> bool:
    """Apply the rule to an item the caller is about to save; True if it now waits for review."""
    state = moderation_after_change(item.moderation)
    changed = state != item.moderation
    was_live = item.pk is not None and item.moderation == Moderation.APPROVED
    if isinstance(item, Course) and changed and was_live:
        item.approved_at = item.approved_at or timezone.now()  # its approved version stays live
    item.moderation = state
    if state == Moderation.PENDING:
        item.moderation_reason = ""
    return changed


_COURSE_REVIEW_FIELDS = ["moderation", "moderation_reason", "approved_at", "updated_at"]


def course_review_after_change(*, course_id: int) -> str:
    """A section, lesson or its subtitles changed: the course goes back to review.

    Returns the moderation state the changed section or lesson takes: pending
    (held back from viewers) while the course waits for review, else approved.
    """
    course = Course.objects.select_for_update().get(pk=course_id)
    if review_after_change(course):
        course.save(update_fields=_COURSE_REVIEW_FIELDS)
    return course.moderation if course.moderation == Moderation.APPROVED else Moderation.PENDING


def asset_review_after_change(*, asset: MediaAsset) -> None:
    """Subtitles of ``asset`` changed: every video, and every lesson with its course,
    that shows it goes back to review."""
    for video in ShortVideo.objects.select_for_update().filter(asset=asset):
        if review_after_change(video):
            video.save(update_fields=["moderation", "moderation_reason", "updated_at"])
    course_ids = set(Lesson.objects.filter(asset=asset).values_list("course_id", flat=True))
    for course_id in sorted(course_ids):  # one lock order
        state = course_review_after_change(course_id=course_id)
        Lesson.objects.filter(asset=asset, course_id=course_id).update(moderation=state)


def _course_has_changes(course: Course) -> bool:
    if course.pending or course.pending_cover:
        return True
    not_approved = ~Q(moderation=Moderation.APPROVED)
    return (
        Section.objects.filter(not_approved | ~Q(pending_title=""), course=course).exists()
        or Lesson.objects.filter(not_approved, course=course).exists()
    )


def _course_apply_changes(course: Course) -> None:
    """Approval: the held-back details, sections and lessons become the live version."""
    pending = course.pending
    if pending:
        course.title, course.summary = pending["title"], pending["summary"]
        course.description, course.category_id = pending["description"], pending["category_id"]
        course.tags.set(pending["tag_ids"])
        course.search_text = course_search_text(course, pending["tags"])
    if course.pending_cover:
        course.cover.name, course.pending_cover.name = course.pending_cover.name, ""
    course.pending = {}
    course.approved_at = timezone.now()
    renamed = Section.objects.filter(course=course).exclude(pending_title="")
    renamed.update(title=F("pending_title"), pending_title="")
    for model in (Section, Lesson):
        model.objects.filter(course=course).exclude(moderation=Moderation.APPROVED).update(
            moderation=Moderation.APPROVED
        )


@transaction.atomic
def moderation_decide(*, item: ShortVideo | Course, approve: bool, reason: str = "") -> None:
    """Approve, or reject with a reason the creator sees in the studio.

    A course's approval applies its held-back changes. Rejecting a course's
    change keeps its approved version live; rejecting a course with nothing
    held back takes it off the site.
    """
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why, so the creator can fix it.")})
    item = item_lock(item=item)
    before = (item.moderation, item.moderation_reason)
    if isinstance(item, Course) and approve:
        _course_apply_changes(item)
    elif isinstance(item, Course) and not _course_has_changes(item):
        item.approved_at = None  # nothing held back: the live course itself is taken down
    item.moderation = Moderation.APPROVED if approve else Moderation.REJECTED
    item.moderation_reason = "" if approve else reason.strip()[:300]
    item.save()
    if (item.moderation, item.moderation_reason) != before:  # a repeated decision is no news
        is_course = isinstance(item, Course)
        notification_create(
            recipient_id=item.creator_id,
            kind=Kind.MODERATION_APPROVED if approve else Kind.MODERATION_REJECTED,
            reason=item.moderation_reason,
            course_id=item.pk if is_course else None,
            video_id=None if is_course else item.pk,
        )
    followers_notify_if_visible(item)


@transaction.atomic
def report_resolve(*, report: Report, uphold: bool, reason: str = "") -> int:
    """Uphold (hide the video or comment) or dismiss a report, with every open
    report on the same target. Returns how many reports were closed."""
    target: dict[str, Any] = {"video_id": report.video_id, "comment_id": report.comment_id}
    same = Report.objects.select_for_update().filter(**target, status=Report.Status.OPEN)
    if uphold and report.video is not None:
        moderation_decide(
            item=report.video, approve=False, reason=reason or "Removed after viewers' reports."
        )
    elif uphold and report.comment is not None:
        report.comment.is_removed = True
        report.comment.save(update_fields=["is_removed", "updated_at"])
    status = Report.Status.UPHELD if uphold else Report.Status.DISMISSED
    return same.update(status=status, updated_at=timezone.now())
