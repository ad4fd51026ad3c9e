"""Satisfaction bench on PostgreSQL: one day's rollup and the dashboard's satisfaction tables.

Run (it creates, migrates and fills a dedicated database, and drops it at the end; never point
it at one you care about):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_satisfaction_bench \\
        .venv/bin/python bench/satisfaction_bench.py --users 20000 --courses 200

Stages (each prints its figures):
1. users and courses with ``bulk_create``; reviews and surveys (answered 55 %, skipped 25 %,
   open 20 %) for random (user, course) pairs over 30 local days, with ``INSERT … SELECT``;
2. ``_satisfaction_daily`` (the rollup step) for one local day, then every day, timed;
3. the section's selectors over 30 days, platform-wide and for one creator, timed (best of 5).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "kf_satisfaction_bench"


def _admin_url() -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"


def _setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not url.rstrip("/").endswith(DATABASE):
        sys.exit(f"Set DATABASE_URL=postgres://…/{DATABASE} (a dedicated database).")
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f"CREATE DATABASE {DATABASE}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


ROWS = """
INSERT INTO {table} ({columns})
SELECT {values}
FROM (
    SELECT u.id AS uid, c.id AS cid, random() AS r, random() AS r2, random() AS r3
    FROM accounts_user u CROSS JOIN courses_course c
    WHERE u.username LIKE 'sb-%%' AND random() < %(share)s
) x
"""
AT = "%(start)s::timestamptz + x.r * interval '30 days'"


def _fill(users: int, courses: int, today) -> dict[str, int]:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from courses.models import Category, Course, CourseSurvey, Review
    from tests.analytics.helpers import at

    CourseSurvey.objects.all().delete()
    Review.objects.all().delete()
    if not User.objects.filter(username__startswith="sb-").exists():
        User.objects.bulk_create(
            [User(username=f"sb-{n}", password="!") for n in range(users)], batch_size=5000
        )
    if not Course.objects.filter(slug__startswith="bench-").exists():
        category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
        creators = list(User.objects.filter(username__startswith="sb-")[:50])
        Course.objects.bulk_create(
            [
                Course(
                    creator=creators[n % len(creators)],
                    title=f"Bench course {n}",
                    slug=f"bench-{n}",
                    category=category,
                    price_minor=4900,
                    status="published",
                    published_at=timezone.now(),
                )
                for n in range(courses)
            ]
        )
    start = at(today - timedelta(days=30), 0)
    with connection.cursor() as cursor:
        cursor.execute(
            ROWS.format(
                table=Review._meta.db_table,
                columns="course_id, author_id, rating, body, created_at, updated_at",
                values=f"x.cid, x.uid, 1 + floor(power(x.r2, 0.4) * 5)::int, '', {AT}, {AT}",
            ),
            {"share": 0.0125, "start": start},
        )
        status = (
            "CASE WHEN x.r3 < 0.55 THEN 'answered' WHEN x.r3 < 0.8 THEN 'skipped' ELSE 'shown' END"
        )
        cursor.execute(
            ROWS.format(
                table=CourseSurvey._meta.db_table,
                columns="user_id, course_id, status, score, shown_at, created_at, updated_at",
                values=f"x.uid, x.cid, {status}, CASE WHEN x.r3 < 0.55 "
                f"THEN floor(power(x.r2, 0.5) * 11)::int END, {AT}, {AT}, {AT}",
            ),
            {"share": 0.025, "start": start},
        )
        cursor.execute(f"ANALYZE {Review._meta.db_table}, {CourseSurvey._meta.db_table}")
    return {"reviews": Review.objects.count(), "surveys": CourseSurvey.objects.count()}


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--courses", type=int, default=200)
    args = parser.parse_args()
    _setup()
    from django.db import transaction

    from analytics import selectors as a
    from analytics.models import SatisfactionDaily
    from analytics.rollups import day_bounds, days_between, local_today
    from analytics.rollups.satisfaction import _satisfaction_daily

    today = local_today()
    began = time.perf_counter()
    counts = _fill(args.users, args.courses, today)
    print(f"fill: {counts} in {time.perf_counter() - began:.1f} s")
    day = today - timedelta(days=3)

    def one_day() -> None:
        with transaction.atomic():
            _satisfaction_daily(day, *day_bounds(day))

    print(f"rollup of one day: {_best(one_day) * 1000:.1f} ms (best of 5)")
    began = time.perf_counter()
    for each in days_between(today - timedelta(days=31), today):
        with transaction.atomic():
            _satisfaction_daily(each, *day_bounds(each))
    print(
        f"rollup of 32 days: {time.perf_counter() - began:.2f} s, "
        f"{SatisfactionDaily.objects.count()} rows"
    )
    last = today - timedelta(days=1)
    first = last - timedelta(days=29)
    creator_id = SatisfactionDaily.objects.values_list("creator_id", flat=True).first()
    for label, scope in (("platform", None), ("one creator", creator_id)):

        def tables(scope: int | None = scope) -> None:
            a.satisfaction_summary_table(first=first, last=last, today=today, creator_id=scope)
            a.satisfaction_distribution_tables(first=first, last=last, creator_id=scope)
            a.satisfaction_daily_table(first=first, last=last, today=today, creator_id=scope)
            a.satisfaction_by_course_table(first=first, last=last, today=today, creator_id=scope)

        print(f"section tables, 30 days, {label}: {_best(tables) * 1000:.1f} ms (best of 5)")
    figures = a.satisfaction_get(first=first, last=last)
    print(
        "30-day figures: "
        f"ratings={figures.ratings} average={figures.average_rating:.2f} "
        f"share4-5={figures.high_share:.3f} nps={figures.nps:.1f} "
        f"response_rate={figures.response_rate:.3f}"
    )


def _drop() -> None:
    """The bench cleans up after itself: its own database, and nothing else."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    print(f"load average at start: {os.getloadavg()}")
    try:
        main()
    finally:
        print(f"load average at end: {os.getloadavg()}")
        if "django" in sys.modules:  # _setup ran: the database exists
            _drop()
