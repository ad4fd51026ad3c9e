"""Reads for people: creator profiles and follows."""

from collections.abc import Iterable

from django.db.models import BooleanField, Case, Q, QuerySet, When

from .models import CreatorProfile, Follow, User
from .notifications import INBOX_SIZE as INBOX_SIZE  # the inbox reads, re-exported
from .notifications import notification_list as notification_list
from .notifications import notification_sentence as notification_sentence
from .notifications import notification_unread_count as notification_unread_count
from .notifications import notification_unread_count_cached as notification_unread_count_cached


def creator_q(prefix: str = "") -> Q:
    """The one "is a creator" rule as a filter on users: they opened a creator
    profile. ``prefix`` reaches users through a relation, e.g. ``"creator__"``."""
    return Q(**{f"{prefix}creator_profile__isnull": False})


def user_is_creator(*, user_id: int | None) -> bool:
    """Whether the user is a creator (has a creator profile); False for anonymous."""
    if user_id is None:
        return False
    return CreatorProfile.objects.filter(user_id=user_id).exists()


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


def followed_creator_ids(*, user_id: int, among: Iterable[int] | None = None) -> set[int]:
    """The creators ``user_id`` follows (only those in ``among`` when given): one query."""
    follows = Follow.objects.filter(follower_id=user_id)
    if among is not None:
        follows = follows.filter(creator_id__in=list(among))
    return set(follows.values_list("creator_id", flat=True))


def followed_creators_q(*, user_id: int, prefix: str = "") -> Q:
    """Rows whose ``<prefix>creator`` ``user_id`` follows, as a filter (a subquery)."""
    followed = Follow.objects.filter(follower_id=user_id).values("creator_id")
    return Q(**{f"{prefix}creator_id__in": followed})


def user_public_name(*, user_id: int) -> str:
    """The name a user shows the public (display name, else username)."""
    return User.objects.get(pk=user_id).public_name


def creator_public_names(*, user_ids: list[int]) -> dict[int, str]:
    """Names reports show for people by id, in two queries: ``@handle`` for
    creators, else the username."""
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    handles = CreatorProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "handle")
    names.update({user_id: f"@{handle}" for user_id, handle in handles})
    return names


def user_get(*, user_id: int) -> User | None:
    """The user with this id, or None. One query."""
    return User.objects.filter(pk=user_id).first()


def user_search(*, query: str, user_id: int | None, limit: int) -> list[tuple[int, str, str, bool]]:
    """(id, username, display name, is exact) of users whose id is ``user_id`` or whose
    username is ``query`` (exact matches first), or whose names contain it. One query."""
    exact = Q(username__iexact=query)
    if user_id:
        exact |= Q(pk=user_id)
    found = (
        User.objects.filter(exact | Q(username__icontains=query) | Q(display_name__icontains=query))
        .annotate(is_exact=Case(When(exact, then=True), default=False, output_field=BooleanField()))
        .order_by("-is_exact", "pk")
        .values_list("pk", "username", "display_name", "is_exact")[:limit]
    )
    return list(found)
