"""Publishing short videos and courses: the one publish path, and taking them down.

The studio decides *when* (now, or on a schedule it keeps); this module
decides *whether* an item may go live and writes it.
"""

from datetime import datetime

from django.utils.translation import gettext as _

from accounts.services import Kind, followers_notify_on_commit
from common.exceptions import ApplicationError

from .models import Course, Lesson, MediaAsset, Moderation, PublishStatus, ShortVideo


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


def item_lock(*, item: ShortVideo | Course) -> ShortVideo | Course:
    """The item's row again, locked for update (call inside a transaction)."""
    if isinstance(item, Course):
        return Course.objects.select_for_update().get(pk=item.pk)
    return ShortVideo.objects.select_for_update().select_related("asset").get(pk=item.pk)


def item_publish(*, item: ShortVideo | Course, now: datetime) -> None:
    """The one publish path (the studio's button and its scheduled task), on an item
    the caller locked (``item_lock``).

    Publishing never touches moderation: an item is on the site once it is
    published *and* approved (``courses.visibility``: a video as it is now, a
    course once, its changes held back); edits already sent it back to review
    (``courses.moderation.review_after_change``). A rejected item is refused
    (409): only a change, then a moderator, brings it back.
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


def item_unpublish(*, item: ShortVideo | Course) -> None:
    """Take a published item off the site (a draft stays a draft)."""
    if item.status == PublishStatus.PUBLISHED:
        item.status = PublishStatus.UNPUBLISHED
        item.save(update_fields=["status", "updated_at"])


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
