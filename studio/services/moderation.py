"""Moderation decisions: approving or rejecting items, resolving reports."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import Kind, notification_create
from courses.models import Course, Moderation, Report, ShortVideo

from .publishing import _locked, followers_notify_if_visible


@transaction.atomic
def moderation_decide(*, item: ShortVideo | Course, approve: bool, reason: str = "") -> None:
    """Approve, or reject with a reason the creator sees in the studio."""
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why, so the creator can fix it.")})
    item = _locked(item)
    before = (item.moderation, item.moderation_reason)
    item.moderation = Moderation.APPROVED if approve else Moderation.REJECTED
    item.moderation_reason = "" if approve else reason.strip()[:300]
    item.save(update_fields=["moderation", "moderation_reason", "updated_at"])
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
