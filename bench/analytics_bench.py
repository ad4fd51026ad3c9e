"""Analytics bench on PostgreSQL: ingest rate, one-day rollup, dashboard server time.

Run (it creates, migrates and fills a dedicated database; never point it at one you care about):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_bench \\
        .venv/bin/python bench/analytics_bench.py --day-events 1000000 --total-events 10000000

Stages (each prints its figures):
1. ingest: ``analytics.services.events_ingest_batch`` (the batch API's service: COPY into a temp
   table + INSERT … ON CONFLICT DO NOTHING) in batches of 500, and the same batches through the
   full HTTP endpoint (DRF validation included), for comparison;
2. one local day of ``--day-events`` events generated with generate_series, then
   ``rollup_day`` and ``funnel_entry_day`` for it, timed;
3. the rest of ``--total-events`` spread over the previous 89 days, rolled up, then
   ``GET /dashboard/`` (30 and 90 days) timed through Django's test client (server time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not url.rstrip("/").endswith("kf_bench"):
        sys.exit("Set DATABASE_URL=postgres://…/kf_bench (a dedicated database).")
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'kf_bench'").fetchone():
            conn.execute("CREATE DATABASE kf_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


GENERATE = """
INSERT INTO analytics_event (ts, received_at, subject_id, session_id, type, video_id,
    course_id, creator_id, value, props, source, client_event_id)
SELECT g.ts, g.ts, 's' || g.subject, '', t.type,
    CASE WHEN t.type LIKE 'video.%%' THEN g.vid END,
    CASE WHEN t.type LIKE 'video.%%' AND g.vid %% 3 = 0 THEN g.vid %% 300 + 1
         WHEN t.type LIKE 'course.%%' OR t.type LIKE 'order.%%' THEN g.cid END,
    CASE WHEN t.type LIKE 'video.%%' THEN g.vid %% 200 + 1 ELSE g.cid %% 200 + 1 END,
    CASE WHEN t.type = 'video.progress' THEN g.w
         WHEN t.type IN ('order.paid', 'order.refunded', 'order.created') THEN 9900 ELSE 0 END,
    '{}'::jsonb, 'seed', NULL
FROM (
    SELECT %(start)s::timestamptz + random() * (%(days)s * interval '1 day') AS ts,
        random() AS r, (1 + floor(random() * 5000))::int AS vid,
        (1 + floor(random() * 300))::int AS cid, round((random() * 30)::numeric, 1) AS w,
        floor(random() * %(subjects)s)::int AS subject
    FROM generate_series(1, %(n)s)
) g CROSS JOIN LATERAL (SELECT CASE
    WHEN g.r < .30 THEN 'video.impression' WHEN g.r < .50 THEN 'video.played'
    WHEN g.r < .72 THEN 'video.progress' WHEN g.r < .77 THEN 'video.completed'
    WHEN g.r < .85 THEN 'video.liked' WHEN g.r < .89 THEN 'video.cta_clicked'
    WHEN g.r < .93 THEN 'course.viewed' WHEN g.r < .955 THEN 'course.preview_played'
    WHEN g.r < .967 THEN 'order.created' WHEN g.r < .977 THEN 'order.paid'
    WHEN g.r < .978 THEN 'order.refunded' WHEN g.r < .985 THEN 'user.signed_up'
    ELSE 'user.logged_in' END AS type) t
"""


def _generate(start: datetime, days: int, n: int, subjects: int) -> float:
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(GENERATE, {"start": start, "days": days, "n": n, "subjects": subjects})
        cursor.execute("ANALYZE analytics_event")
    return time.perf_counter() - began


def bench_ingest(batches: int, http_batches: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from analytics.services import events_ingest_batch

    now = timezone.now()
    payloads = []
    for b in range(batches):
        payloads.append(
            [
                {
                    "type": "video.progress",
                    "ts": now - timedelta(seconds=i),
                    "client_event_id": f"{uuid.uuid4().hex}",
                    "video_id": 1 + i % 500,
                    "creator_id": 1 + i % 50,
                    "value": 4.0,
                    "session_id": f"b{b}",
                }
                for i in range(500)
            ]
        )
    began = time.perf_counter()
    stored = 0
    for b, events in enumerate(payloads):
        stored += events_ingest_batch(events=events, subject_id=f"ing{b % 1000}").stored
    seconds = time.perf_counter() - began
    print(
        f"ingest service (COPY + ON CONFLICT), {batches} batches of 500: "
        f"{stored / seconds:,.0f} events/s ({stored} stored in {seconds:.2f} s)"
    )
    # the same events again: every one is a duplicate
    began = time.perf_counter()
    dup = sum(
        events_ingest_batch(events=e, subject_id=f"ing{b % 1000}").stored
        for b, e in enumerate(payloads[:20])
    )
    print(
        f"  resend of 20 batches: {dup} stored (all duplicates), "
        f"{20 * 500 / (time.perf_counter() - began):,.0f} events/s"
    )
    client = Client(HTTP_HOST="localhost")
    body_batches = [
        {
            "events": [
                {**e, "ts": e["ts"].isoformat(), "client_event_id": uuid.uuid4().hex}
                for e in events
            ]
        }
        for events in payloads[:http_batches]
    ]
    began = time.perf_counter()
    for body in body_batches:
        response = client.post("/api/v1/events/batch", body, content_type="application/json")
        assert response.status_code == 202, response.content[:300]
    seconds = time.perf_counter() - began
    print(
        f"HTTP POST /api/v1/events/batch (DRF validation + COPY), {http_batches} batches: "
        f"{http_batches * 500 / seconds:,.0f} events/s"
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_event WHERE subject_id LIKE 'ing%%'")


def bench_day(day_events: int) -> None:
    from analytics import rollups

    today = rollups.local_today()
    day = today - timedelta(days=1)
    start, _ = rollups.day_bounds(day)
    seconds = _generate(start, 1, day_events, subjects=150_000)
    print(f"generated {day_events:,} events on {day} in {seconds:.1f} s (generate_series)")
    for attempt in (1, 2):
        began = time.perf_counter()
        rollups.rollup_day(day=day)
        rolled = time.perf_counter() - began
        began = time.perf_counter()
        entries = rollups.funnel_entry_day(day=day)
        funnel = time.perf_counter() - began
        print(
            f"run {attempt}: rollup_day {rolled:.2f} s + funnel_entry_day {funnel:.2f} s "
            f"({entries:,} funnel entries) = {rolled + funnel:.2f} s"
        )


def bench_history(total_events: int, day_events: int) -> None:
    from analytics import rollups
    from analytics.services import rollups_backfill

    today = rollups.local_today()
    rest = total_events - day_events
    if rest <= 0:
        return
    first = today - timedelta(days=90)
    start, _ = rollups.day_bounds(first)
    seconds = _generate(start, 89, rest, subjects=150_000)
    print(f"generated {rest:,} events over 89 days in {seconds:.1f} s")
    began = time.perf_counter()
    rollups_backfill(first=first, last=today - timedelta(days=2))
    print(f"backfilled 89 days in {time.perf_counter() - began:.1f} s")


def bench_dashboard(rounds: int) -> None:
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from analytics.rollups import local_today

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_event")
        total = cursor.fetchone()[0]
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    last = local_today() - timedelta(days=1)
    for days in (30, 90):
        url = f"/dashboard/?from={last - timedelta(days=days - 1)}&to={last}"
        client.get(url)  # warm-up
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        print(
            f"GET /dashboard/ ({days} days) over {total:,} events: "
            f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms ({rounds} runs)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--http-batches", type=int, default=40)
    parser.add_argument("--day-events", type=int, default=1_000_000)
    parser.add_argument("--total-events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-load", action="store_true", help="Reuse loaded data.")
    args = parser.parse_args()
    _setup()
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()}")
    bench_ingest(args.batches, args.http_batches)
    if not args.skip_load:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE analytics_event")
        bench_day(args.day_events)
        bench_history(args.total_events, args.day_events)
    bench_dashboard(args.rounds)


if __name__ == "__main__":
    main()
