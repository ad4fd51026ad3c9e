"""Writes for analytics: pseudonyms and append-only events."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Event, Subject


def subject_key_for_user(*, user_id: int) -> str:
    """The pseudonym a user's events carry, created on first use."""
    subject = Subject.objects.filter(user_id=user_id).only("key").first()
    if subject is not None:
        return subject.key
    try:
        with transaction.atomic():
            return Subject.objects.create(user_id=user_id).key
    except IntegrityError:  # another request created it first
        return Subject.objects.only("key").get(user_id=user_id).key


def event_record(
    *,
    type: str,
    user_id: int | None = None,
    subject_id: str | None = None,
    ts: datetime | None = None,
    video_id: int | None = None,
    course_id: int | None = None,
    creator_id: int | None = None,
    value: float = 0,
    props: dict[str, Any] | None = None,
    source: str = Event.Source.SERVER,
) -> Event:
    """Record one server-side event (signup, purchase, …) for a user or a pseudonym."""
    if subject_id is None:
        if user_id is None:
            raise ValueError("An event needs a user_id or a subject_id.")
        subject_id = subject_key_for_user(user_id=user_id)
    return Event.objects.create(
        type=type,
        subject_id=subject_id,
        ts=ts or timezone.now(),
        video_id=video_id,
        course_id=course_id,
        creator_id=creator_id,
        value=value,
        props=props or {},
        source=source,
    )


def events_bulk_insert(events: Iterable[Event], *, batch_size: int = 2000) -> int:
    """Insert many events at once; rows whose client id was already stored are skipped."""
    created = Event.objects.bulk_create(list(events), batch_size=batch_size, ignore_conflicts=True)
    return len(created)
