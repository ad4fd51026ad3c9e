"""Writes for analytics: pseudonyms, events (single and batched), rollups."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from common.tasks import task_send_or_leave_to_sweeper

from . import rollups
from .context import context_current
from .models import DirtyDay, Event, EventKey, Subject, new_subject_key
from .owners import owner_lookup_register as owner_lookup_register
from .owners import owners_of, video_durations_of
from .owners import video_duration_lookup_register as video_duration_lookup_register
from .selectors.events import EventType as EventType  # event_record(type=EventType.LIKE)
from .sources import SatisfactionCount as SatisfactionCount  # registered by the catalogue
from .sources import satisfaction_source_register as satisfaction_source_register
from .tasks import rollups_refresh_dates_task


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


# Event props that name a row kept after an account is deleted (the order number):
# left in place, they would lead from the pseudonym back to the order, and so to
# the person.
LINKING_PROPS = ("order",)
# Events that mirror a kept order (course, amount, moment): after deletion each is cut
# off the person's history (a fresh pseudonym of its own) and keeps only its day.
MONEY_TYPES = (Event.Type.CHECKOUT, Event.Type.PURCHASE, Event.Type.REFUND)


def subject_forget_user(*, user_id: int) -> int:
    """Delete the user's pseudonym mapping (account deletion), and break the way back.

    Their events stay in every aggregate, keyed by a pseudonym that no
    longer points to anyone. A kept order still names its course, amount and
    paid time, so the events that mirror orders (checkout, purchase, refund)
    would lead from the order back to the whole pseudonymous history: each of
    them moves to a pseudonym of its own (mapped to no one, holding nothing
    else), its time is cut to the start of its reporting day, and the order
    number it carried is removed. Daily counts and money stay exact; what is
    lost is which viewing led to which purchase for this person.
    Returns the rows deleted (0 or 1).
    """
    subject = Subject.objects.filter(user_id=user_id).first()
    if subject is None:
        return 0
    linked = list(
        Event.objects.filter(subject_id=subject.key)
        .filter(Q(type__in=MONEY_TYPES) | Q(props__has_any_keys=list(LINKING_PROPS)))
        .only("id", "ts", "type", "props", "subject_id")
    )
    tz = rollups.report_tz()
    for event in linked:  # a person's orders and refunds: a handful of rows
        for key in LINKING_PROPS:
            event.props.pop(key, None)
        if event.type in MONEY_TYPES:
            event.subject_id = new_subject_key()
            event.ts = event.ts.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    Event.objects.bulk_update(linked, ["props", "subject_id", "ts"], batch_size=500)
    days_mark_dirty(days={rollups.local_date_of(event.ts) for event in linked})
    subject.delete()
    return 1


def subject_key_for_anonymous(*, anonymous_id: str) -> str:
    """The pseudonym of a logged-out browser (cookie ``kf_anon``), created on first use."""
    subject = Subject.objects.filter(anonymous_id=anonymous_id).only("key").first()
    if subject is not None:
        return subject.key
    try:
        with transaction.atomic():
            return Subject.objects.create(anonymous_id=anonymous_id).key
    except IntegrityError:
        return Subject.objects.only("key").get(anonymous_id=anonymous_id).key


@transaction.atomic
def subject_merge_anonymous(*, anonymous_id: str, user_id: int) -> int:
    """Move a browser's anonymous history into the account that just logged in.

    The anonymous subject's events are re-pointed to the user's pseudonym
    (events the user already has under the same client id are dropped as
    duplicates), the anonymous mapping row is deleted, and the rollups of
    every local day those events fall on are rebuilt after commit. Safe to
    call on every login: with nothing to merge it does nothing.

    Returns:
        The number of events moved.
    """
    anonymous = Subject.objects.select_for_update().filter(anonymous_id=anonymous_id).first()
    if anonymous is None:
        return 0
    user_key = subject_key_for_user(user_id=user_id)
    moving = Event.objects.filter(subject_id=anonymous.key)
    taken = EventKey.objects.filter(subject_id=user_key).values("client_event_id")
    moving.filter(client_event_id__in=taken).delete()
    EventKey.objects.filter(subject_id=anonymous.key, client_event_id__in=taken).delete()
    EventKey.objects.filter(subject_id=anonymous.key).update(subject_id=user_key)
    dates = sorted(
        moving.annotate(d=TruncDate("ts", tzinfo=rollups.report_tz()))
        .values_list("d", flat=True)
        .distinct()
        .order_by()
    )
    moved = moving.update(subject_id=user_key)
    days_mark_dirty(days=dates)
    anonymous.delete()
    if dates:
        iso = [d.isoformat() for d in dates]
        transaction.on_commit(
            lambda: task_send_or_leave_to_sweeper(rollups_refresh_dates_task, dates=iso)
        )
    return moved


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
    context: dict[str, str] | None = None,
) -> Event:
    """Record one server-side event (signup, purchase, …) for a user or a pseudonym.

    An event dated before today marks its day dirty in the same transaction.
    ``context`` defaults to the current request's (analytics.middleware).
    """
    if subject_id is None:
        if user_id is None:
            raise ValueError("An event needs a user_id or a subject_id.")
        subject_id = subject_key_for_user(user_id=user_id)
    ts = ts or timezone.now()
    with transaction.atomic(savepoint=False):
        days_mark_dirty(days=[rollups.local_date_of(ts)])
        return Event.objects.create(
            type=type,
            subject_id=subject_id,
            ts=ts,
            video_id=video_id,
            course_id=course_id,
            creator_id=creator_id,
            value=value,
            props=props or {},
            source=source,
            context=context if context is not None else context_current(),
        )


def days_mark_dirty(*, days: Iterable[date], now: datetime | None = None) -> int:
    """Mark past local days for the next refresh (call inside the transaction that wrote).

    Today is left out: every refresh rebuilds it, and the nightly run rebuilds
    yesterday, so an event committed across midnight is not lost either.
    Returns the number of days marked.
    """
    today = rollups.local_today(now)
    past = sorted({day for day in days if day < today})
    DirtyDay.objects.bulk_create([DirtyDay(local_date=day) for day in past])
    return len(past)


def moments_mark_dirty(*, moments: Iterable[datetime], now: datetime | None = None) -> int:
    """Mark the past local days of ``moments`` (rows another app changed) for the next refresh.

    For rollups read from rows other than events (``analytics.sources``):
    a review edited or a survey answered today changes the figures of the
    day it was first written or shown.
    """
    return days_mark_dirty(days=[rollups.local_date_of(m) for m in moments], now=now)


# --- Batch ingestion -----------------------------------------------------------

EVENT_COLUMNS = _COPY_COLUMNS = (
    "ts",
    "received_at",
    "subject_id",
    "session_id",
    "type",
    "video_id",
    "course_id",
    "creator_id",
    "value",
    "props",
    "source",
    "client_event_id",
    "context",
)


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    duplicates: int
    too_old: int
    skew_seconds: float


def clock_offset(*, sent_at: datetime | None, now: datetime) -> timedelta:
    """How far to shift client timestamps: server now − client clock, beyond a tolerance."""
    if sent_at is None:
        return timedelta(0)
    offset = now - sent_at
    tolerance = timedelta(seconds=settings.ANALYTICS_CLOCK_SKEW_TOLERANCE_SECONDS)
    return offset if abs(offset) > tolerance else timedelta(0)


def events_ingest_batch(
    *,
    events: list[dict[str, Any]],
    subject_id: str,
    sent_at: datetime | None = None,
    source: str = Event.Source.WEB,
    now: datetime | None = None,
    context: dict[str, str] | None = None,
) -> IngestResult:
    """Store one validated batch from a page or app, once per client event id.

    Timestamps are corrected by the client's clock offset; one still in the
    future after that is set to the receive time, and one older than
    ``ANALYTICS_MAX_EVENT_AGE_DAYS`` is dropped (a rollup day that old is
    closed). Repeats inside the batch and ids already stored for the
    subject are skipped. The creator of an event is the owner of its video
    (else of its course), looked up here: a client's ``creator_id`` is not
    trusted, or a page could move a video's plays to another creator. PostgreSQL gets the
    rows with ``COPY`` into a temporary table and one ``INSERT … ON
    CONFLICT DO NOTHING``; other databases use ``bulk_create``.

    Args:
        events: dicts with ``type``, ``ts`` (aware), ``client_event_id`` and
            the optional ids, ``value``, ``props``, ``session_id``.
    """
    now = now or timezone.now()
    offset = clock_offset(sent_at=sent_at, now=now)
    oldest = now - timedelta(days=settings.ANALYTICS_MAX_EVENT_AGE_DAYS)
    unique: dict[str, dict[str, Any]] = {}
    for item in events:
        unique.setdefault(item["client_event_id"], item)
    owners = _creators_of(unique.values())
    lengths = video_durations_of(
        item["video_id"]
        for item in unique.values()
        if item.get("video_id") and item["type"] in WATCH_TYPES
    )
    context = context if context is not None else context_current()
    rows = [
        _row(_watch_clamped(item, lengths), subject_id, offset, now, source, owners, context)
        for item in unique.values()
    ]
    recent = [row for row in rows if row[0] >= oldest]
    stored = _store_new(recent)
    too_old = len(rows) - len(recent)
    return IngestResult(
        received=len(events),
        stored=stored,
        duplicates=len(events) - stored - too_old,
        too_old=too_old,
        skew_seconds=offset.total_seconds(),
    )


# Events whose value is watched seconds of one play: at most the video's length, never
# negative, and 0 for a video that does not exist. With the rollups' largest value per
# viewer, video and day, one viewer adds at most one full viewing to a video's daily
# watch time, whatever a client sends (1e12 from a script, a looping tab).
WATCH_TYPES = frozenset({Event.Type.PROGRESS, Event.Type.COMPLETE})


def _watch_clamped(item: dict[str, Any], lengths: dict[int, float]) -> dict[str, Any]:
    if item["type"] not in WATCH_TYPES or not item.get("video_id"):
        return item
    limit = lengths.get(item["video_id"], 0.0)
    value = min(max(float(item.get("value") or 0), 0.0), limit)
    return {**item, "value": value}


def _creators_of(events: Iterable[dict[str, Any]]) -> dict[str, dict[int, int]]:
    """Owner of each video and course the events name: ``{"video": {id: creator}, …}``."""
    wanted: dict[str, set[int]] = {"video": set(), "course": set()}
    for item in events:
        if item.get("video_id"):
            wanted["video"].add(item["video_id"])
        elif item.get("course_id"):
            wanted["course"].add(item["course_id"])
    return {kind: owners_of(kind, ids) for kind, ids in wanted.items()}


def _row(
    item: dict[str, Any],
    subject_id: str,
    offset: timedelta,
    now: datetime,
    source: str,
    owners: dict[str, dict[int, int]],
    context: dict[str, str],
) -> tuple[Any, ...]:
    ts = min(item["ts"] + offset, now)
    if item.get("video_id"):
        creator_id = owners["video"].get(item["video_id"])
    else:
        creator_id = owners["course"].get(item.get("course_id") or 0)
    return (
        ts,
        now,
        subject_id,
        item.get("session_id") or "",
        item["type"],
        item.get("video_id"),
        item.get("course_id"),
        creator_id,
        float(item.get("value") or 0),
        item.get("props") or {},
        source,
        item["client_event_id"],
        context,
    )


def events_load_rows(*, rows: Iterable[tuple[Any, ...]], chunk: int = 10_000) -> int:
    """Store raw event tuples (``EVENT_COLUMNS`` order) in chunks; duplicates are skipped.

    For synthetic loads and imports: no clock correction, no clamping.
    Returns the number of rows stored.
    """
    stored, buffer = 0, []
    for row in rows:
        buffer.append(row)
        if len(buffer) >= chunk:
            stored += _store_new(buffer)
            buffer = []
    if buffer:
        stored += _store_new(buffer)
    return stored


_SUBJECT, _CLIENT_ID = EVENT_COLUMNS.index("subject_id"), EVENT_COLUMNS.index("client_event_id")


def _store_new(rows: list[tuple[Any, ...]]) -> int:
    """Insert the rows whose (subject, client id) is not stored yet; return how many.

    Each client id is recorded in EventKey in the same transaction as its event,
    so a resent or concurrent copy finds the key and is skipped.
    """
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in rows:
        key = (row[_SUBJECT], row[_CLIENT_ID])
        if key[1] is None or key not in seen:
            seen.add(key)
            unique.append(row)
    if connection.vendor == "postgresql":
        return _copy_insert(unique)
    return _bulk_insert(unique)


@transaction.atomic
def _copy_insert(rows: list[tuple[Any, ...]]) -> int:
    columns = ", ".join(_COPY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TEMP TABLE IF NOT EXISTS kf_event_in (
                ts timestamptz, received_at timestamptz, subject_id varchar(32),
                session_id varchar(64), type varchar(32), video_id bigint, course_id bigint,
                creator_id bigint, value double precision, props jsonb, source varchar(8),
                client_event_id varchar(64), context jsonb) ON COMMIT DELETE ROWS"""
        )
        raw = cursor.cursor
        # A batch's events share one context dict and most have no props: serialise each
        # distinct object once (json.dumps was a third of the client's time per event).
        dumped: dict[int, str] = {}

        def as_json(value: dict[str, Any]) -> str:
            if not value:
                return "{}"
            if id(value) not in dumped:
                dumped[id(value)] = json.dumps(value)
            return dumped[id(value)]

        with raw.copy(f"COPY kf_event_in ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:9], as_json(row[9]), *row[10:12], as_json(row[12])))
        # Keys first: ON CONFLICT waits for a concurrent batch holding the same
        # key and then skips it, so exactly one copy of each event lands. The
        # past days of the stored events are marked dirty in the same statement
        # (see days_mark_dirty).
        cursor.execute(
            f"""WITH fresh AS (
                INSERT INTO {EventKey._meta.db_table} (subject_id, client_event_id)
                SELECT subject_id, client_event_id FROM kf_event_in
                WHERE client_event_id IS NOT NULL
                ON CONFLICT DO NOTHING RETURNING subject_id, client_event_id
            ), stored AS (
                INSERT INTO {Event._meta.db_table} ({columns}) SELECT {columns} FROM kf_event_in i
                WHERE i.client_event_id IS NULL OR EXISTS (SELECT 1 FROM fresh f
                    WHERE f.subject_id = i.subject_id AND f.client_event_id = i.client_event_id)
                RETURNING (ts AT TIME ZONE %s)::date AS local_date
            ), marked AS (
                INSERT INTO {DirtyDay._meta.db_table} (local_date, marked_at)
                SELECT DISTINCT local_date, now() FROM stored WHERE local_date < %s
            )
            SELECT COUNT(*) FROM stored""",
            [settings.KF_REPORT_TZ, rollups.local_today()],
        )
        return int(cursor.fetchone()[0])


@transaction.atomic  # IMMEDIATE on SQLite: batches are serialised, so read-then-write is safe
def _bulk_insert(rows: list[tuple[Any, ...]]) -> int:
    keys = [(row[_SUBJECT], row[_CLIENT_ID]) for row in rows if row[_CLIENT_ID] is not None]
    known: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 500):
        known.update(
            EventKey.objects.filter(pk__in=keys[start : start + 500]).values_list(
                "subject_id", "client_event_id"
            )
        )
    fresh = [row for row in rows if (row[_SUBJECT], row[_CLIENT_ID]) not in known]
    EventKey.objects.bulk_create(
        [
            EventKey(subject_id=row[_SUBJECT], client_event_id=row[_CLIENT_ID])
            for row in fresh
            if row[_CLIENT_ID] is not None
        ],
        batch_size=1000,
    )
    stored = Event.objects.bulk_create(
        [Event(**dict(zip(_COPY_COLUMNS, row, strict=True))) for row in fresh], batch_size=1000
    )
    days_mark_dirty(days={rollups.local_date_of(event.ts) for event in stored})
    return len(fresh)


# --- Rollups ---------------------------------------------------------------------


def rollups_refresh_dates(*, dates: list[date], now: datetime | None = None) -> list[date]:
    """Rebuild the given local days and every stored figure that depends on them.

    Beyond the days themselves: the WAU/MAU of the 29 days after each, the
    attribution of purchases up to 7 days later, the purchase days of a day's
    refunds, cohorts whose members moved, rolling retention of matured cohorts
    that saw the day, and the funnels whose window covers it
    (``analytics.rollups.rollup_days``). Returns the days rebuilt in full.
    """
    return rollups.rollup_days(days=dates, now=now or timezone.now())


def rollups_refresh_recent(*, days: int, now: datetime | None = None) -> list[date]:
    """Rebuild today and the ``days - 1`` days before, plus every day marked dirty.

    The marks are claimed (deleted) in their own statement before the
    rebuild, so a batch that commits meanwhile leaves its mark for the next
    run; if the rebuild fails they are put back.
    """
    now = now or timezone.now()
    today = rollups.local_today(now)
    first = today - timedelta(days=max(days, 1) - 1)
    claimed = _dirty_days_claim()
    try:
        return rollups_refresh_dates(dates=claimed + rollups.days_between(first, today), now=now)
    except Exception:
        DirtyDay.objects.bulk_create([DirtyDay(local_date=day) for day in claimed])
        raise


def _dirty_days_claim() -> list[date]:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DirtyDay._meta.db_table} RETURNING local_date")
        return sorted({rollups.as_date(day) for (day,) in cursor.fetchall()})


def rollups_backfill(*, first: date, last: date, now: datetime | None = None) -> list[date]:
    """Rebuild every local day in ``first..last`` (management command, tests)."""
    return rollups_refresh_dates(dates=rollups.days_between(first, last), now=now)
