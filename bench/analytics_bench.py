"""Analytics bench on PostgreSQL: ingest rate, one-day rollup, request server times.

Run (it creates, migrates and fills a dedicated database whose name starts with kf_bench, and
drops it at the end unless --keep; never point it at one you care about):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_bench \\
        .venv/bin/python bench/analytics_bench.py --day-events 1000000 --total-events 10000000

Stages (each figure is printed with the load average next to it):
1. ingest: ``analytics.services.events_ingest_batch`` (the batch API's service: COPY into a temp
   table, then one statement inserting the new client ids into EventKey with ON CONFLICT DO
   NOTHING and the events whose id was new) in batches of 500, each batch carrying the context
   a request from one of ``CLIENTS`` gets (platform, device, app version, channel, UTM,
   referrer; new vs returning is derived by the rollups, not sent); once more without a context
   and again with it, at the same load; with it from two processes at once (as two web workers
   call it); then the same batches through the full HTTP endpoint
   (context middleware, DRF validation) with those clients' headers and landing URLs;
2. one local day of ``--day-events`` events generated with generate_series, then
   ``rollup_day`` and ``funnel_entry_day`` for it, timed ``--day-runs`` times, and the
   first-of-day rows (custom funnels) alone;
3. the rest of ``--total-events`` spread over the previous 89 days, rolled up, ``VACUUM
   ANALYZE``, then through Django's test client (server time): custom funnels
   (``/api/v1/analytics/funnel``, no cache in front), every breakdown dimension
   (``/api/v1/analytics/breakdown``, no cache; ``/dashboard/?split=`` with its report cache
   cleared), ``GET /dashboard/`` cold and warm. Event partitions for the generated months are
   created before loading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _database() -> tuple[str, str]:
    """The bench's database URL and name; exits unless the name starts with kf_bench."""
    url = os.environ.get("DATABASE_URL", "")
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if not url.startswith("postgres") or not name.startswith("kf_bench") or not name.isidentifier():
        sys.exit("Set DATABASE_URL=postgres://…/kf_bench[_suffix] (a dedicated database).")
    return url, name


def _setup() -> None:
    url, name = _database()
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# One row per view; each view expands into its events (impression, play, progress, and with
# their probabilities: completion, like, the course path, refund, login, signup), so subjects
# repeat across a day and funnels/attribution find realistic sequences. About 3.3 events/view.
GENERATE = """
INSERT INTO analytics_event (ts, received_at, subject_id, session_id, type, video_id,
    course_id, creator_id, value, props, source, client_event_id, context)
SELECT v.ts + k.step * interval '40 seconds', v.ts, 's' || v.subject, '', k.type,
    CASE WHEN k.step <= 5 THEN v.vid END,
    CASE WHEN v.vid %% 3 = 0 OR k.step >= 6 THEN v.vid %% 300 + 1 END,
    (v.vid %% 300 + 1) %% 200 + 1,
    CASE WHEN k.step = 2 THEN v.w WHEN k.step IN (8, 9, 10) THEN 9900 ELSE 0 END,
    '{}'::jsonb, 'seed', NULL,
    jsonb_build_object('platform', (ARRAY['app', 'mobile_web', 'web'])[1 + v.subject %% 3],
        'device', (ARRAY['mobile', 'mobile', 'desktop'])[1 + v.subject %% 3],
        'app_version', CASE WHEN v.subject %% 3 = 0 THEN '3.' || (v.subject %% 4) ELSE '' END,
        'channel', (ARRAY['direct', 'social', 'search', 'paid', 'email'])[1 + v.subject %% 5],
        'utm_source', CASE WHEN v.subject %% 5 = 3 THEN 'baidu' ELSE '' END,
        'utm_medium', CASE WHEN v.subject %% 5 = 3 THEN 'cpc' ELSE '' END,
        'utm_campaign', CASE WHEN v.subject %% 5 = 3 THEN 'spring' ELSE '' END,
        'referrer', (ARRAY['', 'weixin.qq.com', 'baidu.com', '', ''])[1 + v.subject %% 5])
FROM (
    SELECT %(start)s::timestamptz + random() * (%(days)s * interval '1 day') AS ts,
        floor(random() * %(subjects)s)::int AS subject,
        (1 + floor(5000 * power(random(), 3)))::int AS vid,
        round((30 * power(random(), 0.7))::numeric, 1) AS w,
        random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
    FROM generate_series(1, %(n)s)
) v CROSS JOIN LATERAL (VALUES (0, 'video.impression'), (1, 'video.played'),
    (2, 'video.progress'), (3, 'video.completed'), (4, 'video.liked'),
    (5, 'video.cta_clicked'), (6, 'course.viewed'), (7, 'course.preview_played'),
    (8, 'order.created'), (9, 'order.paid'), (10, 'order.refunded'),
    (11, 'user.logged_in'), (12, 'user.signed_up')) AS k(step, type)
WHERE k.step <= 2 OR (k.step = 3 AND v.w >= 28.5) OR (k.step = 4 AND v.r1 < .12)
    OR (k.step = 11 AND v.r4 < .02) OR (k.step = 12 AND v.r4 > .995)
    OR (v.vid %% 3 = 0 AND v.w > 3 AND v.r5 < .15 AND (k.step IN (5, 6)
        OR (k.step = 7 AND v.r2 < .5) OR (k.step = 8 AND v.r3 < .25)
        OR (k.step = 9 AND v.r3 < .2) OR (k.step = 10 AND v.r3 < .012)))
"""
EVENTS_PER_VIEW = 3.3


def _generate(start: datetime, days: int, n: int, subjects: int) -> float:
    from django.db import connection

    from analytics.partitions import event_partitions_ensure

    began = time.perf_counter()
    event_partitions_ensure(first=start.date(), last=(start + timedelta(days=days)).date())
    with connection.cursor() as cursor:
        views = int(n / EVENTS_PER_VIEW)
        cursor.execute(GENERATE, {"start": start, "days": days, "n": views, "subjects": subjects})
        cursor.execute("ANALYZE analytics_event")
    return time.perf_counter() - began


def _count(start: datetime, end: datetime) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM analytics_event WHERE ts >= %s AND ts < %s", [start, end]
        )
        return int(cursor.fetchone()[0])


# Who sends the bench's batches: (user agent, app version header, landing query, referrer).
# Each batch is one request; its context is worked out once, as the middleware does.
CLIENTS = [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148", "3.2.1", "", ""),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36",
        "",
        "",
        "https://weixin.qq.com/s/x",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
        "",
        "utm_source=baidu&utm_medium=cpc&utm_campaign=spring",
        "https://www.baidu.com/s?wd=x",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_0) Safari/605.1",
        "",
        "utm_source=newsletter&utm_medium=email",
        "",
    ),
]
CONTEXT_KEYS = ("platform", "device", "app_version", "channel", "utm_source", "referrer")


def _client_context(b: int) -> dict[str, str]:
    from analytics.context import context_build, landing_of

    agent, version, query, referrer = CLIENTS[b % len(CLIENTS)]
    landing = landing_of(query, referrer, "localhost")
    return context_build(user_agent=agent, app_version=version, landing=landing)


def _headers(b: int) -> dict[str, Any]:
    agent, version, _, referrer = CLIENTS[b % len(CLIENTS)]
    headers: dict[str, Any] = {"HTTP_USER_AGENT": agent, "HTTP_REFERER": referrer}
    if version:
        headers["HTTP_X_KF_APP_VERSION"] = version
    return headers


def bench_ingest(batches: int, http_batches: int, http_procs: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from analytics.services import events_ingest_batch

    _vacuum()  # earlier runs' deleted bench events and keys
    now = timezone.now()
    payloads: list[list[dict[str, Any]]] = []
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
                    "session_id": f"bench-{b}",
                }
                for i in range(500)
            ]
        )
    began, cpu = time.perf_counter(), _cpu_seconds()
    stored = 0
    for b, events in enumerate(payloads):
        stored += events_ingest_batch(
            events=events, subject_id=f"ing{b % 1000}", context=_client_context(b)
        ).stored
    seconds = time.perf_counter() - began
    client_cpu, server_cpu = (
        after - before for after, before in zip(_cpu_seconds(), cpu, strict=True)
    )
    print(
        f"ingest service with context (COPY + EventKey dedupe), {batches} batches of 500: "
        f"{stored / seconds:,.0f} events/s ({stored} stored in {seconds:.2f} s), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    # what a loaded machine cannot hide: the CPU the work itself took, client and server
    # (the two take turns, so one free core would do about this many events a second,
    # plus the commits' disk waits)
    print(
        f"  CPU: client {client_cpu:.2f} s + PostgreSQL backend {server_cpu:.2f} s = "
        f"{stored / max(client_cpu + server_cpu, 1e-9):,.0f} events per CPU-second"
    )
    _print_contexts("service", "e.subject_id LIKE 'ing%%'")
    # the same batches under fresh ids without a context, then with it again, at the same
    # load: what the context columns cost
    for label, with_context in (("without context", False), ("with context", True)):
        again = [[{**e, "client_event_id": uuid.uuid4().hex} for e in batch] for batch in payloads]
        began = time.perf_counter()
        stored = sum(
            events_ingest_batch(
                events=e,
                subject_id=f"ing{b % 1000}",
                context=_client_context(b) if with_context else {},
            ).stored
            for b, e in enumerate(again)
        )
        seconds = time.perf_counter() - began
        print(
            f"  ingest service {label}, {batches} batches of 500: "
            f"{stored / seconds:,.0f} events/s, load average {os.getloadavg()[0]:.1f}"
        )
    # the web tier calls the service from several worker processes at once: one process
    # leaves a core idle while its backend works (client and backend take turns)
    for procs in (2,):
        seconds = _ingest_parallel(payloads, procs)
        print(
            f"  ingest service with context, {procs} processes (as {procs} web workers), "
            f"{batches} batches of 500: {batches * 500 / seconds:,.0f} events/s, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    # the same events again: every one is a duplicate
    began = time.perf_counter()
    dup = sum(
        events_ingest_batch(
            events=e, subject_id=f"ing{b % 1000}", context=_client_context(b)
        ).stored
        for b, e in enumerate(payloads[:20])
    )
    print(
        f"  resend of 20 batches: {dup} stored (all duplicates), "
        f"{20 * 500 / (time.perf_counter() - began):,.0f} events/s, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    body_batches = [
        {
            "events": [
                {**e, "ts": e["ts"].isoformat(), "client_event_id": uuid.uuid4().hex}
                for e in events
            ]
        }
        for events in payloads[:http_batches]
    ]
    for procs in (1, http_procs):
        seconds = _post_batches(body_batches, procs)
        print(
            f"HTTP POST /api/v1/events/batch (context middleware, validation, the same insert), "
            f"{http_batches} batches, {procs} process(es): "
            f"{http_batches * 500 / seconds:,.0f} events/s, load average {os.getloadavg()[0]:.1f}"
        )
    _print_contexts("HTTP", "e.session_id LIKE 'bench-%%' AND e.subject_id NOT LIKE 'ing%%'")
    with connection.cursor() as cursor:  # the bench's own events and keys go again
        cursor.execute(
            "DELETE FROM analytics_eventkey k USING analytics_event e WHERE e.subject_id ="
            " k.subject_id AND e.client_event_id = k.client_event_id"
            " AND (e.subject_id LIKE 'ing%%' OR e.session_id LIKE 'bench-%%')"
        )
        cursor.execute(
            "DELETE FROM analytics_event WHERE subject_id LIKE 'ing%%' OR session_id LIKE 'bench-%%'"
        )


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its PostgreSQL backend (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # PostgreSQL on another machine
        server = float("nan")
    return time.process_time(), server


def _print_contexts(path: str, where: str) -> None:
    """Show that the stored events carry every context field (the values the bench sent)."""
    from django.db import connection

    fields = ", ".join(f"e.context->>'{key}'" for key in CONTEXT_KEYS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {fields}, count(*) FROM analytics_event e WHERE {where}"
            f" GROUP BY {fields} ORDER BY {len(CONTEXT_KEYS) + 1} DESC"
        )
        rows = cursor.fetchall()
    print(f"  stored contexts ({path}): {', '.join(CONTEXT_KEYS)}, events")
    for row in rows:
        print(f"    {row}")


def _post_batches(bodies: list[dict[str, Any]], procs: int) -> float:
    """POST every batch through the full endpoint, split over ``procs`` processes; wall seconds.

    Each process is its own anonymous browser, as gunicorn workers each
    serving different pages would be; ids are fresh per call, so nothing is
    a duplicate.
    """
    fresh = [
        (b, {"events": [{**e, "client_event_id": uuid.uuid4().hex} for e in body["events"]]})
        for b, body in enumerate(bodies)
    ]
    return _timed_in_processes(_post_share, fresh, procs)


def _ingest_parallel(payloads: list[list[dict[str, Any]]], procs: int) -> float:
    """Ingest every batch under fresh ids through the service, split over ``procs`` processes."""
    fresh = [
        (b, [{**e, "client_event_id": uuid.uuid4().hex} for e in events])
        for b, events in enumerate(payloads)
    ]
    return _timed_in_processes(_ingest_share, fresh, procs)


def _timed_in_processes(work: Any, items: list[Any], procs: int) -> float:
    """Wall seconds of ``work(share)`` over ``items`` dealt out to ``procs`` forked processes."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each forked process opens its own connection
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        pool.map(work, [items[i::procs] for i in range(procs)])
    return time.perf_counter() - began


def _ingest_share(batches: list[tuple[int, list[dict[str, Any]]]]) -> None:
    from analytics.services import events_ingest_batch

    for b, events in batches:
        events_ingest_batch(events=events, subject_id=f"ing{b % 1000}", context=_client_context(b))


def _post_share(bodies: list[tuple[int, dict[str, Any]]]) -> None:
    """POST each batch as one of ``CLIENTS`` (user agent, app header, referrer, UTM landing)."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    for b, body in bodies:
        query = CLIENTS[b % len(CLIENTS)][2]
        url = "/api/v1/events/batch" + (f"?{query}" if query else "")
        response = client.post(url, body, content_type="application/json", **_headers(b))
        assert response.status_code == 202, response.content[:300]


def bench_day(day_events: int, runs: int) -> None:
    from analytics import rollups

    today = rollups.local_today()
    day = today - timedelta(days=1)
    start, _ = rollups.day_bounds(day)
    seconds = _generate(start, 1, day_events, subjects=150_000)
    n = _count(start, start + timedelta(days=1))
    print(f"generated {n:,} events on {day} in {seconds:.1f} s (generate_series)")
    time_day_rollup(runs)


def time_day_rollup(runs: int = 2) -> None:
    from django.db import transaction

    from analytics import rollups
    from analytics.rollups.event_firsts import _subject_event_first
    from analytics.rollups.sql import _lock_day, _statistics_refresh

    day = rollups.local_today() - timedelta(days=1)
    start, end = rollups.day_bounds(day)
    print(f"{_count(start, end):,} events on {day}")
    for attempt in range(1, runs + 1):
        _vacuum()
        print(f"  load average before run {attempt}: {os.getloadavg()}")
        began = time.perf_counter()
        analyzed = _statistics_refresh()  # what rollup_days does before each day
        rollups.rollup_day(day=day)
        rolled = time.perf_counter() - began
        began = time.perf_counter()
        entries = rollups.funnel_entry_day(day=day)
        funnel = time.perf_counter() - began
        print(
            f"run {attempt}: rollup_day {rolled:.2f} s (after analysing {len(analyzed)} changed "
            f"tables) + funnel_entry_day {funnel:.2f} s "
            f"({entries:,} funnel entries) = {rolled + funnel:.2f} s, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    _vacuum()
    with transaction.atomic():  # the share of the custom funnels' first-of-day rows
        _lock_day(day)
        began = time.perf_counter()
        _subject_event_first(day, start, end)
        print(
            f"  of which the first-of-day rows (SubjectEventFirst, chained), alone: "
            f"{time.perf_counter() - began:.2f} s, load average {os.getloadavg()[0]:.1f}"
        )


def _vacuum() -> None:
    """Do what autovacuum does on a live server (it is off on this machine's PostgreSQL).

    Every rerun of a day leaves its old rollup rows dead; without vacuum they
    pile up and each rerun scans more of them.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('autovacuum')")
        if cursor.fetchone()[0] == "off":
            cursor.execute("VACUUM ANALYZE")


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
    _vacuum()


def bench_dashboard(rounds: int) -> None:
    from django.core.cache import cache

    client, last, total = _staff_client_after_counting("analytics_event", "events")
    for days in (30, 90):
        url = f"/dashboard/?from={last - timedelta(days=days - 1)}&to={last}"
        client.get(url)  # warm-up (connections, templates)
        for label, clear in (("cold, report cache cleared", True), ("warm", False)):
            times = []
            for _ in range(rounds):
                if clear:
                    cache.clear()
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            print(
                f"GET /dashboard/ ({days} days, {label}) over {total:,} events: median "
                f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms ({rounds} runs), "
                f"load average {os.getloadavg()[0]:.1f}"
            )
    # issue 17: custom retention from rollups (no report cache in front)
    url = "/api/v1/analytics/retention?start_event=user.signed_up&return_event=order.paid"
    _time_get(client, url, rounds, f"GET retention (signup → paid) over {total:,} events")


def _time_get(client: Any, url: str, rounds: int, label: str, clear: bool = False) -> None:
    """Median and max server time of ``rounds`` GETs, with the load average next to them."""
    from django.core.cache import cache

    times = []
    for _ in range(rounds):
        if clear:
            cache.clear()
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.content[:200]
    print(
        f"{label}: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
        f"({rounds} runs), load average {os.getloadavg()[0]:.1f}"
    )


# KPIs the breakdown bench splits: a money sum, a per-day average and a ratio.
BREAKDOWN_METRICS = ("gmv_minor", "avg_dau", "paid_conversion")


def bench_breakdowns(rounds: int) -> None:
    """Every split dimension, cold: the API (no cache in front of it) and the dashboard's split.

    ``GET /api/v1/analytics/breakdown`` answers totals against the previous
    period plus the daily series; ``GET /dashboard/?split=`` renders the whole
    page with the split section, its report cache cleared before each request.
    """

    from analytics.rollups.breakdowns import DIMENSIONS

    client, last, _ = _staff_client_after_counting("analytics_breakdowndaily", "breakdown rows")
    for days in (30, 90):
        span = f"first={last - timedelta(days=days - 1)}&last={last}"
        for dimension in DIMENSIONS:
            for metric in BREAKDOWN_METRICS:
                url = f"/api/v1/analytics/breakdown?metric={metric}&dimension={dimension}&{span}"
                client.get(url)  # warm-up
                _time_get(client, url, rounds, f"breakdown API {days} d, {metric} by {dimension}")
    for days in (30, 90):
        span = f"from={last - timedelta(days=days - 1)}&to={last}"
        for dimension in DIMENSIONS:
            url = f"/dashboard/?{span}&split={dimension}&metric=gmv_minor"
            label = f"GET /dashboard/ {days} d, split gmv_minor by {dimension}, cold"
            _time_get(client, url, rounds, label, clear=True)


def _staff_client_after_counting(table: str, what: str) -> tuple[Any, date, int]:
    """Vacuum, print the size of ``table`` against the events, and return a logged-in staff
    client, yesterday (the last complete day) and the number of events."""
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from analytics.rollups import local_today

    _vacuum()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_event")
        total = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {table}")  # a table name of ours, not input
        rows = cursor.fetchone()[0]
    print(f"{rows:,} {what} for {total:,} events")
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    return client, local_today() - timedelta(days=1), total


# Custom funnels (issue 17 item 3) as the dashboard's builder asks for them: from broad
# steps (every play) to a course-filtered purchase path, 1 hour to 30 days.
CUSTOM_FUNNELS = [
    ("video.played,course.viewed,order.created,order.paid", 7 * 24, ""),
    ("video.played,video.completed,video.liked", 1, ""),
    ("course.viewed,course.preview_played,order.created,order.paid", 30 * 24, ""),
    ("video.played,course.viewed,order.paid", 7 * 24, "&course_id=3"),
    ("video.played,course.viewed,order.paid", 7 * 24, "&creator_id=4"),
    ("user.signed_up,video.played,order.paid", 30 * 24, ""),
]


def bench_custom_funnels(rounds: int) -> None:
    """``GET /api/v1/analytics/funnel`` cold (no cache in front of it) over 30 and 90 days."""

    client, last, _ = _staff_client_after_counting(
        "analytics_subjecteventfirst", "first-of-day rows"
    )
    for days in (30, 90):
        for steps, hours, scope in CUSTOM_FUNNELS:
            url = (
                f"/api/v1/analytics/funnel?steps={steps}&window_hours={hours}{scope}"
                f"&first={last - timedelta(days=days - 1)}&last={last}"
            )
            times = []
            for _ in range(rounds):
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.content[:200]
            entrants = response.json()["steps"][0]["subjects"]
            print(
                f"funnel {days} d, {steps.replace('video.', 'v.').replace('course.', 'c.')}"
                f", {hours} h{scope}: {entrants:,} entrants, median "
                f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms ({rounds} runs), "
                f"load average {os.getloadavg()[0]:.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--http-batches", type=int, default=40)
    parser.add_argument("--http-procs", type=int, default=2, help="Processes for the HTTP path.")
    parser.add_argument("--day-events", type=int, default=1_000_000)
    parser.add_argument("--total-events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--day-runs", type=int, default=2, help="Timed roll-ups of the day.")
    parser.add_argument("--skip-load", action="store_true", help="Reuse loaded data.")
    parser.add_argument(
        "--rollup-only", action="store_true", help="Only re-time yesterday's roll-up."
    )
    parser.add_argument(
        "--funnels-only", action="store_true", help="Only time custom funnels on loaded data."
    )
    parser.add_argument(
        "--breakdowns-only", action="store_true", help="Only time breakdowns on loaded data."
    )
    parser.add_argument("--ingest-only", action="store_true", help="Only time ingestion.")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Keep the bench database at the end (for --skip-load, --*-only reruns).",
    )
    args = parser.parse_args()
    try:
        _setup()
        _stages(args)
    finally:
        print(f"finished {datetime.now(UTC):%H:%M} UTC, load average {os.getloadavg()}")
        if not args.keep:
            _drop()


def _stages(args: argparse.Namespace) -> None:
    if args.rollup_only:
        time_day_rollup(args.day_runs)
        return
    if args.funnels_only:
        bench_custom_funnels(args.rounds)
        return
    if args.breakdowns_only:
        bench_breakdowns(args.rounds)
        return
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()}")
    bench_ingest(args.batches, args.http_batches, args.http_procs)
    if args.ingest_only:
        return
    if not args.skip_load:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE analytics_event, analytics_eventkey")
        bench_day(args.day_events, args.day_runs)
        bench_history(args.total_events, args.day_events)
    # issue 17's acceptance first: custom funnels and breakdowns, cold
    bench_custom_funnels(args.rounds)
    bench_breakdowns(args.rounds)
    bench_dashboard(args.rounds)


def _drop() -> None:
    """The bench cleans up after itself: its own database (named kf_bench…), nothing else."""
    import psycopg

    url, name = _database()
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
    print(f"dropped database {name} (--keep keeps it)")


if __name__ == "__main__":
    main()
