"""Reads for people: creator profiles and follows."""

from django.db.models import QuerySet

from .models import CreatorProfile, Follow, User


def creator_profile_get(*, handle: str) -> CreatorProfile | None:
    """The profile behind a public ``/@<handle>/`` address, with its user.

    Handles are matched exactly; a deactivated account has no public page.
    """
    return (
        CreatorProfile.objects.select_related("user")
        .filter(handle=handle, user__is_active=True)
        .first()
    )


def follow_exists(*, follower_id: int | None, creator_id: int) -> bool:
    """Whether ``follower_id`` follows ``creator_id``; False for anonymous viewers."""
    if follower_id is None:
        return False
    return Follow.objects.filter(follower_id=follower_id, creator_id=creator_id).exists()


def follow_pairs() -> set[tuple[int, int]]:
    """Every ``(follower id, creator id)`` pair, in one query (the recommender's features)."""
    return set(Follow.objects.values_list("follower_id", "creator_id"))


def creators_followed(*, user_id: int) -> QuerySet[User]:
    """Up to 50 creators ``user_id`` follows, with their profiles (My space)."""
    return User.objects.filter(followers__follower_id=user_id).select_related("creator_profile")[
        :50
    ]


# Notification reads and wording, public here (they live with the storage in notifications.py).
from .notifications import INBOX_SIZE as INBOX_SIZE  # noqa: E402
from .notifications import notification_list as notification_list  # noqa: E402
from .notifications import notification_sentence as notification_sentence  # noqa: E402
from .notifications import notification_unread_count as notification_unread_count  # noqa: E402
from .notifications import (  # noqa: E402
    notification_unread_count_cached as notification_unread_count_cached,
)
