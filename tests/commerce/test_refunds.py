"""Refund rule, self-service requests, staff decisions, ledger and payouts."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import Event
from commerce.gateways.base import ProviderState
from commerce.gateways.sandbox import session_transition
from commerce.models import EarningEntry, Order, Payout, Refund, RefundPolicy
from commerce.selectors import creator_ledger, refund_eligibility
from commerce.services import (
    order_apply_state,
    order_create,
    order_sync,
    payout_create,
    payout_mark_paid,
    refund_approve,
    refund_request,
)
from common.exceptions import ApplicationError
from courses.models import LessonProgress
from courses.selectors import user_has_course_access
from tests.factories import LessonFactory

from .conftest import paid_course

pytestmark = pytest.mark.django_db


def _paid_order(user: Any, price: int = 10000, course: Any = None) -> Order:
    course = course or paid_course(price=price)
    order = order_create(user_id=user.pk, course_id=course.pk).order
    assert order is not None
    # the buyer pays at the sandbox provider; the return URL syncs
    session_transition(order_number=order.number, status="paid", notify=False)
    return order_sync(order_id=order.pk)


def _watch(user: Any, order: Order, seconds: float) -> None:
    lesson = order.course.lessons.first()
    assert lesson is not None
    LessonProgress.objects.create(
        user=user, lesson=lesson, course=order.course, watched_seconds=seconds
    )


def test_eligibility_inside_window_and_under_the_watch_limit(buyer) -> None:
    order = _paid_order(buyer)
    _watch(buyer, order, 50)  # 50 of 200 seconds = 25%
    result = refund_eligibility(order=order)
    assert result.eligible
    assert (result.watched_percent, result.max_watched_percent, result.days_left) == (25, 30, 7)


def test_free_previews_and_progress_from_before_the_purchase_never_count(buyer) -> None:
    # given: a course of one free preview (100 s) and two paid lessons (2 × 100 s)
    course = paid_course(lessons=2)
    preview = LessonFactory.create(section__course=course, duration_seconds=100, is_preview=True)
    paid_lesson = course.lessons.filter(is_preview=False).first()
    assert paid_lesson is not None
    # the buyer watches the whole preview before buying...
    LessonProgress.objects.create(user=buyer, lesson=preview, course=course, watched_seconds=100)
    # ...and owned the course once before (progress under an earlier, refunded order)
    LessonProgress.objects.create(
        user=buyer, lesson=paid_lesson, course=course, watched_seconds=100
    )
    LessonProgress.objects.filter(user=buyer).update(created_at=timezone.now() - timedelta(days=30))
    order = _paid_order(buyer, course=course)
    # when: nothing watched since buying
    fresh = refund_eligibility(order=order)
    # then
    assert fresh.watched_percent == 0
    assert fresh.eligible
    # and 50 s of a paid lesson after buying is 25 % of the 200 paid seconds
    other = course.lessons.filter(is_preview=False).exclude(pk=paid_lesson.pk).get()
    LessonProgress.objects.create(user=buyer, lesson=other, course=course, watched_seconds=50)
    assert refund_eligibility(order=order).watched_percent == 25


def test_watching_too_much_or_waiting_too_long_makes_it_ineligible(buyer) -> None:
    order = _paid_order(buyer)
    _watch(buyer, order, 60)  # 30%
    assert not refund_eligibility(order=order).eligible
    assert "30% of the course is watched" in refund_eligibility(order=order).reason
    fresh = _paid_order(buyer)
    late = refund_eligibility(order=fresh, now=timezone.now() + timedelta(days=7, seconds=1))
    assert not late.eligible
    assert "window has closed" in late.reason


def test_a_course_policy_overrides_the_platform_rule_for_new_orders(buyer, settings) -> None:
    settings.COMMERCE_REFUND_DAYS = 3
    course = paid_course()
    RefundPolicy.objects.create(course=course, days=14, max_watched_percent=50)
    order = _paid_order(buyer, course=course)
    assert (order.refund_days, order.refund_max_watched_percent) == (14, 50)
    assert refund_eligibility(order=order, watched_ratio=lambda u, c: 0.45).eligible
    assert not refund_eligibility(order=order, watched_ratio=lambda u, c: 0.5).eligible


def test_eligible_request_is_granted_at_once_and_ends_access(buyer) -> None:
    # given
    order = _paid_order(buyer)
    assert user_has_course_access(user_id=buyer.pk, course=order.course)
    # when
    refund = refund_request(user_id=buyer.pk, order_number=order.number, reason="not for me")
    # then
    order.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.provider_refund_id
    assert (order.status, order.refunded_minor) == ("refunded", 10000)
    assert not user_has_course_access(user_id=buyer.pk, course=order.course)
    assert sum(EarningEntry.objects.filter(order=order).values_list("net_minor", flat=True)) == 0
    assert Event.objects.get(type="order.refunded").value == 10000
    # and the buyer may buy again
    again = order_create(user_id=buyer.pk, course_id=order.course_id).order
    assert again is not None
    assert again.pk != order.pk


def test_ineligible_request_waits_for_staff_who_can_refund_part(
    buyer, admin_client: Client
) -> None:
    # given: 40% watched
    order = _paid_order(buyer)
    _watch(buyer, order, 80)
    refund = refund_request(user_id=buyer.pk, order_number=order.number)
    assert refund.status == Refund.Status.REQUESTED
    assert not refund.eligible
    # when: staff grant 30.00 as goodwill
    refund_approve(refund_id=refund.pk, decided_by_id=None, amount_minor=3000)
    # then: a partial refund keeps access; the ledger reverses the share
    order.refresh_from_db()
    assert (order.status, order.refunded_minor) == ("partially_refunded", 3000)
    assert user_has_course_access(user_id=buyer.pk, course=order.course)
    reversal = EarningEntry.objects.get(order=order, kind="refund")
    assert (reversal.gross_minor, reversal.fee_minor, reversal.net_minor) == (-3000, -900, -2100)


def test_refunds_never_exceed_the_amount_paid(buyer) -> None:
    order = _paid_order(buyer)
    refund = refund_request(user_id=buyer.pk, order_number=order.number)
    assert refund.status == "succeeded"
    with pytest.raises(ApplicationError, match="Only a paid order can be refunded") as refused:
        refund_request(user_id=buyer.pk, order_number=order.number)
    assert (refused.value.code, refused.value.status) == ("not_refundable", 409)
    state = ProviderState(
        order_number=order.number,
        status="paid",
        amount_captured_minor=10000,
        refunds=(
            __import__("commerce.gateways.base", fromlist=["ProviderRefund"]).ProviderRefund(
                "re_extra", 5000
            ),
        ),
    )
    order_apply_state(state=state)
    order.refresh_from_db()
    assert order.refunded_minor == 10000


def test_admin_deny_and_second_open_request_conflict(buyer, admin_client: Client) -> None:
    order = _paid_order(buyer)
    _watch(buyer, order, 100)
    client = APIClient()
    client.force_authenticate(buyer)
    first = client.post(f"/api/v1/orders/{order.number}/refunds", {"reason": "x"}, format="json")
    assert first.status_code == 201
    assert first.json()["status"] == "requested"
    second = client.post(f"/api/v1/orders/{order.number}/refunds", {}, format="json")
    assert second.status_code == 409
    refund = Refund.objects.get(order=order)
    response = admin_client.post(
        "/admin/commerce/refund/", {"action": "deny_refunds", "_selected_action": [refund.pk]}
    )
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == "denied"
    assert user_has_course_access(user_id=buyer.pk, course=order.course)


def test_refund_request_for_someone_elses_order_is_404(buyer) -> None:
    from tests.factories import UserFactory

    order = _paid_order(buyer)
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    assert (
        client.post(f"/api/v1/orders/{order.number}/refunds", {}, format="json").status_code == 404
    )
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_ledger_balance_payable_after_the_window_and_payouts(buyer) -> None:
    # given: two sales, one refunded in part
    from tests.factories import UserFactory

    course = paid_course(price=10000)
    first = _paid_order(buyer, course=course)
    second = _paid_order(UserFactory.create(), course=course)
    refund = refund_request(user_id=second.user_id, order_number=second.number)
    assert refund.status == "succeeded"
    creator = course.creator_id
    # then: nothing is payable inside the refund window
    now = timezone.now()
    assert creator_ledger(creator_id=creator, now=now).balance_payable_minor == 0
    assert creator_ledger(creator_id=creator, now=now).pending_minor == 7000
    later = now + timedelta(days=8)
    assert creator_ledger(creator_id=creator, now=later).balance_payable_minor == 7000
    # when: the admin pays out
    payout = payout_create(creator_id=creator, now=later)
    assert payout is not None
    assert payout.amount_minor == 7000
    assert payout_create(creator_id=creator, now=later) is None
    payout_mark_paid(payout_id=payout.pk, reference="bank-1")
    ledger = creator_ledger(creator_id=creator, now=later)
    assert (ledger.balance_payable_minor, ledger.paid_out_minor) == (0, 7000)
    assert Payout.objects.get().status == "paid"
    assert first.status == "paid"


@pytest.mark.django_db(transaction=True)
def test_an_automatically_granted_refund_notifies_the_buyer_once(buyer) -> None:
    """As under make run: the provider's refund webhook lands (commits run at
    once) before the request that asked for the refund records it."""
    from accounts.models import Notification

    order = _paid_order(buyer)
    refund = refund_request(user_id=buyer.pk, order_number=order.number)
    assert refund.status == Refund.Status.SUCCEEDED
    notes = Notification.objects.filter(recipient=buyer, order_id=order.pk)
    assert list(notes.values_list("kind", flat=True)) == ["refund_approved"]
    # a second approval (a retried task, a double click in the admin) adds none
    refund_approve(refund_id=refund.pk, decided_by_id=None)
    assert notes.count() == 1
