"""Pseudonyms of users."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Event, Subject


def subject_keys_for_users(*, user_ids: list[int]) -> dict[int, str]:
    """Map user ids to their pseudonyms, in one query."""
    rows = Subject.objects.filter(user_id__in=user_ids).values_list("user_id", "key")
    return {int(user_id): key for user_id, key in rows if user_id is not None}


def events_of_user(*, user_id: int) -> QuerySet[Event]:
    """Every event carrying ``user_id``'s pseudonyms, oldest first (their data export)."""
    keys = Subject.objects.filter(user_id=user_id).values("key")
    return Event.objects.filter(subject_id__in=keys).order_by("ts", "id")


def events_of_subject(*, subject_key: str | None) -> QuerySet[Event]:
    """Every event of one pseudonym (none for None), unordered: a base to filter further."""
    return Event.objects.filter(subject_id=subject_key) if subject_key else Event.objects.none()
