"""PostgreSQL races: 50 parallel purchases per round, 50 parallel coupon uses.

Threads released together by one barrier drive the real endpoints through
the Django test client; each thread has its own database connection.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from analytics.models import Event
from commerce.models import Coupon, EarningEntry, Order, Payment, SandboxSession
from courses.models import Enrollment
from tests.factories import UserFactory

from .conftest import make_coupon, paid_course

# Every many-connection test shares one xdist group, so two never overlap and
# exceed PostgreSQL's 100 connections.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("db_threads")]
PARALLEL = 50


def _wait_for_free_connection_slots(timeout: float = 30.0) -> None:
    """Wait until the server has room for PARALLEL more connections.

    A closed client connection's PostgreSQL backend exits a moment later, and
    other clients of the same server (the other xdist worker, a Celery worker,
    a live server) hold slots too; racing straight on can exceed
    ``max_connections`` and turn every request of a round into a 500.
    """
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
        )
        capacity = cursor.fetchone()[0]
        while True:
            cursor.execute(
                "SELECT coalesce(datname, '?'), count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' GROUP BY 1"
            )
            holders = dict(cursor.fetchall())
            if sum(holders.values()) + PARALLEL + 5 <= capacity:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"no room for {PARALLEL} connections in {capacity}: {holders}")
            time.sleep(0.1)


def _race(work: Callable[[int], int]) -> Counter:
    """Run ``work(i)`` in PARALLEL threads released at once; count the statuses."""
    _wait_for_free_connection_slots()
    barrier = threading.Barrier(PARALLEL)

    def run(i: int) -> int:
        try:
            barrier.wait(timeout=30)
            return work(i)
        except Exception as exc:  # a crash is a failure, reported as 599
            return 599 if not isinstance(exc, AssertionError) else 598
        finally:
            connection.close()

    with ThreadPoolExecutor(PARALLEL) as pool:
        return Counter(pool.map(run, range(PARALLEL)))


def _purchase_round(round_no: int) -> dict[str, Any]:
    course = paid_course(price=9900, lessons=1)
    user = UserFactory.create()

    def buy(i: int) -> int:
        client = APIClient()
        client.force_authenticate(user)
        key = f"round-{round_no}-{i % 10}"  # duplicate keys too: retries of one click
        response = client.post(
            "/api/v1/orders",
            {"course_id": course.pk},
            format="json",
            headers={"Idempotency-Key": key},
        )
        # a replay of the winner's key repeats its 201; count it apart
        return (
            1201
            if response.get("Idempotent-Replayed") and response.status_code == 201
            else response.status_code
        )

    buys = _race(buy)
    order = Order.objects.get(user=user, course=course)
    session = SandboxSession.objects.get(order_number=order.number)

    def pay(i: int) -> int:
        client = Client()
        client.force_login(user)
        if i % 2:  # half press "pay", half land on the return URL at the same time
            return client.post(
                f"/shop/sandbox/checkout/{session.session_id}/", {"action": "pay"}
            ).status_code
        return client.get(f"/shop/checkout/return/?session_id={session.session_id}").status_code

    pays = _race(pay)
    return {"buys": buys, "pays": pays, "user": user, "course": course}


def test_fifty_parallel_purchases_make_one_order_one_enrollment_one_charge(postgres) -> None:
    for round_no in range(10):
        # when
        result = _purchase_round(round_no)
        user, course = result["user"], result["course"]
        # then: one order created, the rest got the same order (or its replay,
        # 1201) or 409 while a request with their key was in flight
        buys = result["buys"]
        assert set(buys) <= {200, 201, 1201, 409}, buys
        assert buys[201] == 1, buys
        assert result["pays"] == Counter({302: PARALLEL}), result["pays"]
        orders = Order.objects.filter(user=user, course=course)
        assert [o.status for o in orders] == ["paid"]
        order = orders.get()
        assert Enrollment.objects.filter(user=user, course=course, is_active=True).count() == 1
        assert SandboxSession.objects.filter(order_number=order.number, status="paid").count() == 1
        assert Payment.objects.filter(order=order, status="captured").count() == 1
        assert EarningEntry.objects.filter(order=order).count() == 1
        assert Event.objects.filter(type="order.paid", course_id=course.pk).count() == 1


def test_coupon_cap_holds_under_fifty_parallel_redemptions(postgres) -> None:
    # given: a coupon for 10 uses and 50 buyers
    course = paid_course(price=10000, lessons=1)
    make_coupon(course, code="TEN", max_redemptions=10)
    users = [UserFactory.create() for _ in range(PARALLEL)]

    def buy(i: int) -> int:
        client = APIClient()
        client.force_authenticate(users[i])
        return client.post(
            "/api/v1/orders", {"course_id": course.pk, "coupon_code": "TEN"}, format="json"
        ).status_code

    # when
    statuses = _race(buy)
    # then
    assert statuses == Counter({201: 10, 400: 40}), statuses
    assert Coupon.objects.get(code="TEN").redeemed_count == 10
    assert Order.objects.filter(coupon__code="TEN").count() == 10
    assert Order.objects.count() == 10
