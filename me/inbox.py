"""The inbox: what each notification points to, its title and link, at display time.

``accounts`` stores a notification as ids only, and words each kind
(``accounts.selectors.notification_sentence``); this layer above, which may
read every app, loads what the rows point to (one query per kind of target,
whatever the number of rows) and hands the titles to that wording.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext

from accounts.models import Notification
from accounts.selectors import notification_sentence
from commerce.models import Order
from courses.models import Course, ShortVideo
from courses.selectors import course_list_published, creator_page_url, video_list_published

Kind = Notification.Kind


@dataclass(frozen=True)
class NotificationItem:
    """One row as the inbox shows it."""

    id: int
    kind: str
    text: str
    url: str
    created_at: datetime
    is_unread: bool


@dataclass(frozen=True)
class _Targets:
    videos: dict[int, ShortVideo]
    courses: dict[int, Course]
    orders: dict[int, Order]
    hidden: set[str]  # "v12", "c3": unpublished or not approved since


# What a viewer was told about someone else's content: gone when that content is hidden.
# (A creator's own moderation notices, and a buyer's refunds, keep their title.)
_PUBLIC_KINDS = frozenset({Kind.COMMENT_REPLY, Kind.NEW_VIDEO, Kind.NEW_COURSE})


def _targets(notifications: Sequence[Notification]) -> _Targets:
    def ids(field: str) -> set[int]:
        return {v for n in notifications if (v := getattr(n, field)) is not None}

    video_ids, course_ids, order_ids = ids("video_id"), ids("course_id"), ids("order_id")
    videos = ShortVideo.objects.only("title").in_bulk(video_ids) if video_ids else {}
    courses = Course.objects.only("title", "slug").in_bulk(course_ids) if course_ids else {}
    shown = {
        *(
            f"v{pk}"
            for pk in video_list_published().filter(pk__in=videos).values_list("pk", flat=True)
        ),
        *(
            f"c{pk}"
            for pk in course_list_published().filter(pk__in=courses).values_list("pk", flat=True)
        ),
    }
    hidden = {f"v{pk}" for pk in videos} | {f"c{pk}" for pk in courses}
    return _Targets(
        videos=videos,
        courses=courses,
        orders=Order.objects.only("number").in_bulk(order_ids) if order_ids else {},
        hidden=hidden - shown,
    )


def _title_and_url(n: Notification, targets: _Targets) -> tuple[str, str]:
    """What the row is about and where clicking it leads ("" when it is gone)."""
    video = targets.videos.get(n.video_id) if n.video_id else None
    course = targets.courses.get(n.course_id) if n.course_id else None
    order = targets.orders.get(n.order_id) if n.order_id else None
    if n.kind in _PUBLIC_KINDS:  # someone else's content: only while it is on the site
        video = video if f"v{n.video_id}" not in targets.hidden else None
        course = course if f"c{n.course_id}" not in targets.hidden else None
    target = video or course
    title = target.title if target is not None else gettext("(no longer available)")
    if n.kind in (Kind.MODERATION_APPROVED, Kind.MODERATION_REJECTED):
        if video is not None:
            return title, reverse("studio:video-edit", args=[video.pk])
        return title, reverse("studio:course-edit", args=[course.pk]) if course else ""
    if order is not None:
        return title, reverse("commerce:order-detail", args=[order.number])
    if video is not None:
        return title, reverse("courses:video-detail", args=[video.pk])
    if course is not None:
        return title, reverse("courses:course-detail", args=[course.slug])
    if n.kind == Kind.NEW_FOLLOWER and n.actor is not None:
        return title, creator_page_url(n.actor) or ""
    return title, ""


def notification_items(notifications: Sequence[Notification]) -> list[NotificationItem]:
    """Word and link ``notifications`` (from ``notification_list``) in the active language."""
    targets = _targets(notifications)
    items = []
    for n in notifications:
        title, url = _title_and_url(n, targets)
        items.append(
            NotificationItem(
                id=n.pk,
                kind=n.kind,
                text=notification_sentence(
                    kind=n.kind,
                    actor_name=n.actor.public_name if n.actor is not None else None,
                    title=title,
                    reason=n.reason,
                ),
                url=url,
                created_at=n.created_at,
                is_unread=n.read_at is None,
            )
        )
    return items
