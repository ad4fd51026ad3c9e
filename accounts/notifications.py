"""In-app notifications: writes any app may call, the inbox reads, and the
sentence each kind is worded with.

Rows keep ids, never sentences: ``notification_sentence`` words a row in the
reader's language when the page is drawn, with the title that ``me.inbox``
looks up in the apps the row points to. Notifications are written in
the caller's transaction (one cheap insert), except the fan-out to a
creator's followers, which runs after commit in a task on the default
queue, in batches. Each user's unread count is cached: every write that
changes it drops the cached value and, after commit, counts again and
caches the new number; the header only ever reads the cache.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from common.cache import cache_delete_many, cache_get, cache_read_through, cache_set_many

from .models import Follow, Notification
from .tasks import followers_notify_task

INBOX_SIZE = 50
FAN_OUT_BATCH = 500
UNREAD_COUNT_SECONDS = 24 * 3600
# Callers name kinds as ``Kind.COMMENT_REPLY`` without importing the model.
Kind = Notification.Kind
FOLLOWER_KINDS = frozenset({Notification.Kind.NEW_VIDEO, Notification.Kind.NEW_COURSE})


def unread_count_key(user_id: int) -> str:
    """Cache key of a user's unread notification count."""
    return f"notifications:{user_id}:unread"


def _unread_forget(user_ids: Iterable[int]) -> None:
    """Drop the cached counts now; after commit, count again and cache them.

    Dropping first means nobody reads the old number meanwhile; counting
    after commit (one grouped query) means the header, which only reads the
    cache, shows the new number on the next page. A rollback leaves them
    dropped, which is merely a recount later.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return
    cache_delete_many([unread_count_key(user_id) for user_id in ids])
    transaction.on_commit(lambda: _unread_recount(ids))


def _unread_recount(user_ids: list[int]) -> None:
    counts = dict(
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )
    cache_set_many(
        {unread_count_key(user_id): counts.get(user_id, 0) for user_id in user_ids},
        timeout=UNREAD_COUNT_SECONDS,
    )


def notification_create(
    *,
    recipient_id: int,
    kind: str,
    actor_id: int | None = None,
    video_id: int | None = None,
    course_id: int | None = None,
    comment_id: int | None = None,
    order_id: int | None = None,
    reason: str = "",
    once_unread: bool = False,
) -> Notification | None:
    """Tell one user something happened; nobody hears about their own action.

    ``once_unread`` skips it while the same news from the same actor is still
    unread (following, unfollowing and following again is one piece of news).

    Returns:
        The new row, or None when the recipient is the actor or it was skipped.
    """
    if recipient_id == actor_id:
        return None
    if (
        once_unread
        and Notification.objects.filter(
            recipient_id=recipient_id, kind=kind, actor_id=actor_id, read_at__isnull=True
        ).exists()
    ):
        return None
    notification = Notification(
        recipient_id=recipient_id,
        kind=kind,
        actor_id=actor_id,
        video_id=video_id,
        course_id=course_id,
        comment_id=comment_id,
        order_id=order_id,
        reason=reason[:300],
    )
    notification.full_clean()
    notification.save()
    _unread_forget([recipient_id])
    return notification


def followers_notify_on_commit(
    *, creator_id: int, kind: str, video_id: int | None = None, course_id: int | None = None
) -> None:
    """After commit, tell every follower of ``creator_id`` about new work (a task)."""
    transaction.on_commit(
        lambda: followers_notify_task.delay(
            creator_id=creator_id, kind=kind, video_id=video_id, course_id=course_id
        )
    )


def followers_notify(
    *,
    creator_id: int,
    kind: str,
    video_id: int | None = None,
    course_id: int | None = None,
    batch_size: int = FAN_OUT_BATCH,
) -> int:
    """Write one notification per follower, ``batch_size`` rows per insert.

    Followers who already have this notification are skipped, so a retry,
    a re-publish or a second approval adds nothing. Two queries per batch.

    Returns:
        How many notifications were written.
    """
    if kind not in FOLLOWER_KINDS:
        raise ValueError(f"not a follower notification: {kind}")
    same = Notification.objects.filter(kind=kind, video_id=video_id, course_id=course_id)
    written, last_pk = 0, 0
    while True:
        rows = list(
            Follow.objects.filter(creator_id=creator_id, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "follower_id")[:batch_size]
        )
        if not rows:
            return written
        last_pk = rows[-1][0]
        batch = [follower_id for _pk, follower_id in rows]
        done = set(same.filter(recipient_id__in=batch).values_list("recipient_id", flat=True))
        new = [
            Notification(
                recipient_id=follower_id,
                kind=kind,
                actor_id=creator_id,
                video_id=video_id,
                course_id=course_id,
            )
            for follower_id in batch
            if follower_id not in done
        ]
        Notification.objects.bulk_create(new)
        _unread_forget(n.recipient_id for n in new)
        written += len(new)


def notifications_mark_read(*, user_id: int, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read: those in ``ids``, or all.

    Other people's ids are ignored. Returns how many changed.
    """
    unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    changed = unread.update(read_at=timezone.now())
    if changed:
        _unread_forget([user_id])
    return changed


def notification_open(*, user_id: int, notification_id: int) -> Notification | None:
    """The user's own notification, marked read; None if it is not theirs."""
    notification = notification_list(user_id=user_id).filter(pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notifications_mark_read(user_id=user_id, ids=[notification.pk])
        notification.read_at = timezone.now()
    return notification


def notifications_user_retire(*, user_id: int) -> int:
    """Delete the notifications a person received or caused. Returns the rows deleted."""
    rows = Notification.objects.filter(Q(recipient_id=user_id) | Q(actor_id=user_id))
    told = set(rows.filter(read_at__isnull=True).values_list("recipient_id", flat=True))
    deleted, _ = rows.delete()
    _unread_forget({user_id, *told})  # their unread counts drop too
    return deleted


# --- Reads -------------------------------------------------------------------


def notification_list(*, user_id: int) -> QuerySet[Notification]:
    """The user's notifications, newest first, with the actor and their creator page."""
    return (
        Notification.objects.filter(recipient_id=user_id)
        .select_related("actor", "actor__creator_profile")
        .order_by("-created_at", "-id")
    )


def notification_unread_count_cached(*, user_id: int) -> int | None:
    """The cached unread count, or None when it is not cached: never a query,
    so the header can show it on every page."""
    count = cache_get(unread_count_key(user_id))
    return None if count is None else int(count)


def notification_unread_count(*, user_id: int) -> int:
    """How many of the user's notifications are unread; counted (and cached) on a miss."""
    unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
    count = cache_read_through(
        unread_count_key(user_id), unread.count, timeout=UNREAD_COUNT_SECONDS
    )
    return int(count)


def notification_sentence(*, kind: str, actor_name: str | None, title: str, reason: str) -> str:
    """The sentence for one notification in the active language.

    ``actor_name`` is whoever caused it (None: "Someone"); ``title`` names what
    it is about, or says it is no longer available.
    """
    words = {
        Kind.COMMENT_REPLY: gettext("%(actor)s replied to your comment on “%(title)s”."),
        Kind.NEW_VIDEO: gettext("%(actor)s published a new video: “%(title)s”."),
        Kind.NEW_COURSE: gettext("%(actor)s published a new course: “%(title)s”."),
        Kind.REFUND_APPROVED: gettext("Your refund for “%(title)s” was approved."),
        Kind.REFUND_DENIED: gettext("Your refund request for “%(title)s” was denied."),
        Kind.MODERATION_APPROVED: gettext("“%(title)s” was approved and can be seen on the site."),
        Kind.MODERATION_REJECTED: gettext("“%(title)s” was rejected: %(reason)s"),
        Kind.NEW_FOLLOWER: gettext("%(actor)s started following you."),
    }
    template = words.get(Kind(kind), "%(title)s")
    actor = actor_name if actor_name is not None else gettext("Someone")
    return template % {"actor": actor, "title": title, "reason": reason}
