"""Publishing short videos and courses: now, on a schedule, or taking them down.

Whether an item may go live, and the write itself, are the catalogue's
(``courses.services.item_publish``); the studio keeps the schedule.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from courses.selectors import item_is_published
from courses.services import item_lock, item_publish, item_unpublish

from ..models import PublishSchedule

if TYPE_CHECKING:
    from courses.models import Course, ShortVideo


def _schedule_target(item: ShortVideo | Course) -> dict[str, Any]:
    # The schedule's two ForeignKeys name their models by label; so does this.
    return {"course": item} if item._meta.label == "courses.Course" else {"video": item}


@transaction.atomic
def publish(
    *, item: ShortVideo | Course, at: datetime | None = None, now: datetime | None = None
) -> ShortVideo | Course:
    """Publish now, or at ``at`` (a PublishSchedule the beat task runs).

    An item waiting for review (moderation pending) is published but off the
    site until an admin approves it; a rejected one is refused (409).
    """
    now = now or timezone.now()
    item = item_lock(item=item)
    if at is not None and at > now:
        if item_is_published(item):
            raise ApplicationError(_("It is already published."), code="already_published")
        PublishSchedule.objects.update_or_create(
            **_schedule_target(item),
            defaults={"publish_at": at, "done_at": None, "failure_reason": ""},
        )
        return item
    item_publish(item=item, now=now)
    PublishSchedule.objects.filter(**_schedule_target(item), done_at__isnull=True).delete()
    return item


@transaction.atomic
def unpublish(*, item: ShortVideo | Course) -> ShortVideo | Course:
    """Take an item off the site (and cancel a pending schedule)."""
    item = item_lock(item=item)
    PublishSchedule.objects.filter(**_schedule_target(item), done_at__isnull=True).delete()
    item_unpublish(item=item)
    return item


def scheduled_publish_due(*, now: datetime | None = None) -> int:
    """Publish what is due; a refusal is recorded on the schedule. Safe to re-run."""
    now = now or timezone.now()
    due = PublishSchedule.objects.filter(done_at__isnull=True, publish_at__lte=now)
    done = 0
    for schedule_id in list(due.values_list("pk", flat=True)[:200]):
        with transaction.atomic():
            schedule = (
                PublishSchedule.objects.select_for_update(skip_locked=True)
                .filter(pk=schedule_id, done_at__isnull=True)
                .first()
            )
            if schedule is None:
                continue
            target: ShortVideo | Course | None = schedule.course or schedule.video
            if target is None:
                continue
            item = item_lock(item=target)
            try:
                with transaction.atomic():
                    item_publish(item=item, now=now)
                done += 1
            except ApplicationError as exc:
                schedule.failure_reason = exc.message[:300]
            schedule.done_at = now
            schedule.save(update_fields=["done_at", "failure_reason", "updated_at"])
    return done
