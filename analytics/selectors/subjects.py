"""Pseudonyms of users."""

from __future__ import annotations

from ..models import Subject


def subject_keys_for_users(*, user_ids: list[int]) -> dict[int, str]:
    """Map user ids to their pseudonyms, in one query."""
    rows = Subject.objects.filter(user_id__in=user_ids).values_list("user_id", "key")
    return {int(user_id): key for user_id, key in rows if user_id is not None}
