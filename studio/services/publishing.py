"""Publishing short videos and courses: now, on a schedule, or taking them down."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import Kind, followers_notify_on_commit
from common.exceptions import ApplicationError
from courses.models import Course, Lesson, MediaAsset, Moderation, PublishStatus, ShortVideo

from ..models import PublishSchedule


def _course_publish_problems(course: Course) -> list[str]:
    lessons = list(Lesson.objects.filter(course=course).select_related("asset"))
    if not lessons:
        return [_("Add at least one lesson.")]
    missing = [lesson.title for lesson in lessons if lesson.asset is None]
    not_ready = [
        lesson.title
        for lesson in lessons
        if lesson.asset is not None and lesson.asset.status != MediaAsset.Status.READY
    ]
    problems = []
    if missing:
        problems.append(_("These lessons have no video: ") + ", ".join(missing[:5]))
    if not_ready:
        problems.append(_("These lessons' videos are not ready: ") + ", ".join(not_ready[:5]))
    return problems


def _publish_now(item: ShortVideo | Course, *, now: datetime) -> None:
    """The one publish path (the studio's button and the scheduled task).

    Publishing never touches moderation: an item is on the site once it is
    published *and* approved (``courses.visibility``: a video as it is now, a
    course once, its changes held back); edits already sent it back to review
    (``moderation.review_after_change``). A
    rejected item is refused: only a change, then a moderator, brings it back.
    """
    if item.moderation == Moderation.REJECTED:
        raise ApplicationError(
            _("A moderator rejected this (%(reason)s). Change it, and it goes back to review.")
            % {"reason": item.moderation_reason or _("no reason given")},
            code="rejected",
            status=409,
        )
    if isinstance(item, Course):
        problems = _course_publish_problems(item)
    else:
        ready = item.asset.status == MediaAsset.Status.READY
        problems = [] if ready else [_("The video is not ready yet.")]
        item.duration_seconds = item.asset.duration_seconds
    if problems:
        raise ApplicationError(" ".join(problems), code="not_publishable", status=409)
    item.status = PublishStatus.PUBLISHED
    item.published_at = item.published_at or now
    item.save()
    followers_notify_if_visible(item)


def followers_notify_if_visible(item: ShortVideo | Course) -> None:
    """Once a published item is approved, tell the creator's followers (after commit).

    Repeats are harmless: a follower who heard about the item is skipped.
    """
    if not item.is_visible:
        return
    if isinstance(item, Course):
        followers_notify_on_commit(
            creator_id=item.creator_id, kind=Kind.NEW_COURSE, course_id=item.pk
        )
    else:
        followers_notify_on_commit(
            creator_id=item.creator_id, kind=Kind.NEW_VIDEO, video_id=item.pk
        )


def _schedule_target(item: ShortVideo | Course) -> dict[str, Any]:
    return {"course": item} if isinstance(item, Course) else {"video": item}


def _locked(item: ShortVideo | Course) -> ShortVideo | Course:
    if isinstance(item, Course):
        return Course.objects.select_for_update().get(pk=item.pk)
    return ShortVideo.objects.select_for_update().select_related("asset").get(pk=item.pk)


@transaction.atomic
def publish(
    *, item: ShortVideo | Course, at: datetime | None = None, now: datetime | None = None
) -> ShortVideo | Course:
    """Publish now, or at ``at`` (a PublishSchedule the beat task runs).

    An item waiting for review (moderation pending) is published but off the
    site until an admin approves it; a rejected one is refused (409).
    """
    now = now or timezone.now()
    item = _locked(item)
    if at is not None and at > now:
        if item.status == PublishStatus.PUBLISHED:
            raise ApplicationError(_("It is already published."), code="already_published")
        PublishSchedule.objects.update_or_create(
            **_schedule_target(item),
            defaults={"publish_at": at, "done_at": None, "failure_reason": ""},
        )
        return item
    _publish_now(item, now=now)
    PublishSchedule.objects.filter(**_schedule_target(item), done_at__isnull=True).delete()
    return item


@transaction.atomic
def unpublish(*, item: ShortVideo | Course) -> ShortVideo | Course:
    """Take an item off the site (and cancel a pending schedule)."""
    item = _locked(item)
    PublishSchedule.objects.filter(**_schedule_target(item), done_at__isnull=True).delete()
    if item.status == PublishStatus.PUBLISHED:
        item.status = PublishStatus.UNPUBLISHED
        item.save(update_fields=["status", "updated_at"])
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
            item = _locked(target)
            try:
                with transaction.atomic():
                    _publish_now(item, now=now)
                done += 1
            except ApplicationError as exc:
                schedule.failure_reason = exc.message[:300]
            schedule.done_at = now
            schedule.save(update_fields=["done_at", "failure_reason", "updated_at"])
    return done
