"""Reads for people: creator profiles and follows."""

from .models import CreatorProfile, Follow


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
