"""Commerce bench on PostgreSQL: purchase, webhook and barrier-race figures.

Run (it creates and migrates a dedicated database; never point it at one you care about):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_bench_commerce \\
        .venv/bin/python bench/commerce_checkout.py --buyers 200 --rounds 10

Stages (each prints its figures; server time through Django's test client, no network):
1. ``POST /api/v1/orders`` for ``--buyers`` different buyers (new order + sandbox session);
2. the signed ``checkout.session.completed`` webhook for each (verify, record, fulfil:
   enrollment, ledger line, purchase event — one transaction);
3. the same webhooks again (duplicates: verify + unique-index hit);
4. ``--rounds`` barrier races of 50 threads buying one course for one user, counting orders,
   enrollments and charges per round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not url.rstrip("/").endswith("kf_bench_commerce"):
        sys.exit("Set DATABASE_URL=postgres://…/kf_bench_commerce (a dedicated database).")
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'kf_bench_commerce'"
        ).fetchone():
            conn.execute("CREATE DATABASE kf_bench_commerce")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.test")
    os.environ["COMMERCE_SANDBOX_WEBHOOK_TRANSPORT"] = "inprocess"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000  # noqa: E731
    return f"p50 {p(0.5):.1f} ms, p90 {p(0.9):.1f} ms, p99 {p(0.99):.1f} ms, max {samples[-1] * 1000:.1f} ms"


def _course(creator, n: int):
    from courses.models import Category, Course

    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    stamp = f"{time.time_ns()}-{n}"
    return Course.objects.create(
        creator=creator,
        title=f"Bench {stamp}",
        slug=f"bench-{stamp}",
        category=category,
        price_minor=9900,
        status="published",
        published_at=django_now(),
    )


def django_now():
    from django.utils import timezone

    return timezone.now()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    _setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import User
    from commerce.gateways.base import signature_header
    from commerce.gateways.sandbox import session_snapshot, session_transition
    from commerce.models import EarningEntry, Order, SandboxSession
    from courses.models import Enrollment

    stamp = time.time_ns()
    creator = User.objects.create(username=f"bench-creator-{stamp}")
    course = _course(creator, 0)
    buyers = [User.objects.create(username=f"bench-buyer-{stamp}-{i}") for i in range(args.buyers)]

    create_t, orders = [], []
    for user in buyers:
        client = APIClient()
        client.force_authenticate(user)
        start = time.perf_counter()
        response = client.post("/api/v1/orders", {"course_id": course.pk}, format="json")
        create_t.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content
        orders.append(response.json()["order"]["number"])
    print(f"POST /api/v1/orders ({args.buyers} buyers): {_ms(create_t)}")

    bodies = []
    for number in orders:
        session = session_transition(order_number=number, status="paid", notify=False)
        assert session is not None
        payload = {
            "id": f"evt_bench_{number}",
            "type": "checkout.session.completed",
            "data": {"object": session_snapshot(session)},
        }
        bodies.append(json.dumps(payload).encode())
    secret = settings.COMMERCE_SANDBOX_WEBHOOK_SECRET
    for label in ("webhook, first delivery (fulfil)", "webhook, duplicate"):
        timings, hook_client = [], Client()
        for body in bodies:
            headers = {"Kf-Sandbox-Signature": signature_header(body, secret)}
            start = time.perf_counter()
            hook_response = hook_client.post(
                "/api/v1/payments/webhook/sandbox/",
                data=body,
                content_type="application/json",
                headers=headers,
            )
            timings.append(time.perf_counter() - start)
            assert hook_response.status_code == 200
        print(f"{label}: {_ms(timings)}")
    paid = Order.objects.filter(course=course, status="paid").count()
    print(
        f"paid orders {paid}/{args.buyers}, ledger lines {EarningEntry.objects.filter(order__course=course).count()}"
    )

    race_rows = []
    for round_no in range(args.rounds):
        user = User.objects.create(username=f"bench-racer-{stamp}-{round_no}")
        race_course = _course(creator, round_no + 1)
        barrier = threading.Barrier(50)

        def buy(i: int, user=user, race_course=race_course, barrier=barrier) -> int:
            try:
                client = APIClient()
                client.force_authenticate(user)
                barrier.wait(timeout=30)
                return client.post(
                    "/api/v1/orders", {"course_id": race_course.pk}, format="json"
                ).status_code
            finally:
                connection.close()

        start = time.perf_counter()
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(buy, range(50)))
        elapsed = time.perf_counter() - start
        order = Order.objects.get(user=user, course=race_course)
        session_transition(order_number=order.number, status="paid", notify=False)
        from commerce.services import order_sync

        order_sync(order_id=order.pk)
        race_rows.append(
            (
                Order.objects.filter(user=user, course=race_course).count(),
                Enrollment.objects.filter(user=user, course=race_course).count(),
                SandboxSession.objects.filter(order_number=order.number, status="paid").count(),
                statuses.count(201),
                statuses.count(200),
                sum(s >= 500 for s in statuses),
                elapsed,
            )
        )
    print("barrier race (50 threads, same user and course):")
    for n, row in enumerate(race_rows):
        print(
            f"  round {n}: orders {row[0]}, enrollments {row[1]}, charges {row[2]}, "
            f"201×{row[3]} 200×{row[4]} 5xx×{row[5]}, {row[6] * 1000:.0f} ms"
        )
    print(f"race wall time median {statistics.median(r[6] for r in race_rows) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
