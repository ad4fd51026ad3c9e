"""Buying through the API and the sandbox: idempotency, coupons, fulfilment."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from analytics.models import Event
from commerce.models import Coupon, EarningEntry, Order, Payment, SandboxSession, WebhookEvent
from commerce.services import order_create
from common.exceptions import ApplicationError
from courses.models import Enrollment
from courses.selectors import user_has_course_access
from tests.factories import CourseFactory, ShortVideoFactory

from .conftest import make_coupon, paid_course

pytestmark = pytest.mark.django_db


def _buy(client: APIClient, course_id: int, key: str | None = None, **extra: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/orders", {"course_id": course_id, **extra}, format="json", headers=headers
    )


def _pay(client: Client, order: Order) -> Any:
    session = SandboxSession.objects.get(order_number=order.number)
    return client.post(f"/shop/sandbox/checkout/{session.session_id}/", {"action": "pay"})


def test_purchase_creates_a_pending_order_with_the_price_copied(buyer) -> None:
    # given
    course = paid_course(price=4900)
    video = ShortVideoFactory.create(course=course, creator=course.creator)
    client = APIClient()
    client.force_authenticate(buyer)
    # when
    response = _buy(client, course.pk, video_id=video.pk)
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["result"] == "created"
    assert body["order"]["amount_minor"] == 4900
    assert body["order"]["attributed_video_id"] == video.pk
    assert "/shop/sandbox/checkout/" in body["checkout_url"]
    order = Order.objects.get(number=body["order"]["number"])
    assert order.status == Order.Status.PENDING
    assert Payment.objects.get(order=order).idempotency_key == f"{order.number}:charge"
    assert Event.objects.filter(type="order.created", course_id=course.pk, value=4900).count() == 1


def test_paying_in_the_sandbox_fulfils_once_with_ledger_and_event(
    buyer, django_capture_on_commit_callbacks
) -> None:
    # given
    course = paid_course(price=10000)
    video = ShortVideoFactory.create(course=course, creator=course.creator)
    order = order_create(
        user_id=buyer.pk,
        course_id=course.pk,
        video_id=video.pk,
        success_url="http://testserver/shop/checkout/return/?session_id={CHECKOUT_SESSION_ID}",
    ).order
    assert order is not None
    client = Client()
    client.force_login(buyer)
    # when: the buyer pays on the hosted page (the signed webhook fulfils)
    with django_capture_on_commit_callbacks(execute=True):
        response = _pay(client, order)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    # and the return URL finds it already done
    landing = client.get(response["Location"])
    # then
    assert landing.status_code == 302
    assert order.number in landing["Location"]
    assert order.status == Order.Status.PAID
    assert user_has_course_access(user_id=buyer.pk, course=course)
    sale = EarningEntry.objects.get(order=order)
    assert (sale.gross_minor, sale.fee_minor, sale.net_minor) == (10000, 3000, 7000)
    purchase = Event.objects.get(type="order.paid", course_id=course.pk)
    assert (purchase.value, purchase.video_id, purchase.creator_id) == (
        10000,
        video.pk,
        course.creator_id,
    )
    assert WebhookEvent.objects.filter(order=order, type="checkout.session.completed").count() == 1
    assert Payment.objects.get(order=order).status == Payment.Status.CAPTURED


def test_buying_an_owned_course_returns_the_enrollment_not_a_charge(
    buyer, django_capture_on_commit_callbacks
) -> None:
    # given: the buyer already paid
    course = paid_course()
    order = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert order is not None
    with django_capture_on_commit_callbacks(execute=True):
        _pay(Client(), order)
    client = APIClient()
    client.force_authenticate(buyer)
    # when
    response = _buy(client, course.pk)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "owned"
    assert body["enrollment_id"] == Enrollment.objects.get(user=buyer, course=course).pk
    assert body["checkout_url"] == ""
    assert Order.objects.filter(user=buyer, course=course).count() == 1
    assert SandboxSession.objects.filter(status="paid").count() == 1


def test_a_second_purchase_while_pending_returns_the_same_order(buyer) -> None:
    course = paid_course()
    client = APIClient()
    client.force_authenticate(buyer)
    first = _buy(client, course.pk).json()
    second = _buy(client, course.pk)
    assert second.status_code == 200
    assert second.json()["result"] == "existing"
    assert second.json()["order"]["number"] == first["order"]["number"]
    assert second.json()["checkout_url"] == first["checkout_url"]


def test_idempotency_key_replays_the_first_answer(buyer) -> None:
    # given
    course = paid_course()
    client = APIClient()
    client.force_authenticate(buyer)
    first = _buy(client, course.pk, key="k-1")
    # when
    again = _buy(client, course.pk, key="k-1")
    # then
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_idempotency_key_with_another_body_is_422(buyer) -> None:
    course, other = paid_course(), paid_course()
    client = APIClient()
    client.force_authenticate(buyer)
    _buy(client, course.pk, key="k-2")
    response = _buy(client, other.pk, key="k-2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Order.objects.filter(course=other).exists()


def test_idempotency_key_in_flight_is_409(buyer) -> None:
    # given: a first request holds the key and has not finished
    from commerce.idempotency import idempotency_begin, request_fingerprint

    course = paid_course()
    body = {"course_id": course.pk}
    idempotency_begin(
        user_id=buyer.pk,
        scope="order_create",
        key="k-3",
        fingerprint=request_fingerprint(method="POST", path="/api/v1/orders", body=body),
    )
    client = APIClient()
    client.force_authenticate(buyer)
    # when
    response = _buy(client, course.pk, key="k-3")
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert not Order.objects.exists()


def test_errors_are_replayed_and_validation_is_not_stored(buyer) -> None:
    client = APIClient()
    client.force_authenticate(buyer)
    assert (
        client.post(
            "/api/v1/orders", {"course_id": "x"}, format="json", headers={"Idempotency-Key": "k-4"}
        ).status_code
        == 400
    )
    missing = _buy(client, 999999, key="k-4")  # the key was not used up by the 400
    assert missing.status_code == 404
    replay = _buy(client, 999999, key="k-4")
    assert replay.status_code == 404
    assert replay["Idempotent-Replayed"] == "true"


def test_pruned_keys_execute_anew(buyer) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from commerce.idempotency import idempotency_keys_prune
    from commerce.models import IdempotencyKey

    course = paid_course()
    client = APIClient()
    client.force_authenticate(buyer)
    _buy(client, course.pk, key="k-5")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_prune() == 1
    again = _buy(client, course.pk, key="k-5")
    assert again.status_code == 200
    assert "Idempotent-Replayed" not in again


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, 400),
        ({"course_id": -1}, 400),
        ({"course_id": 10**30}, 400),
        ({"course_id": 1, "coupon_code": "x" * 40}, 400),
        ({"course_id": 999999}, 404),
    ],
)
def test_bad_purchase_input_gets_a_clear_4xx(buyer, payload: dict, status: int) -> None:
    client = APIClient()
    client.force_authenticate(buyer)
    response = client.post("/api/v1/orders", payload, format="json")
    assert response.status_code == status
    assert set(response.json()) == {"code", "message", "extra"}


def test_anonymous_purchase_is_refused() -> None:
    response = APIClient().post("/api/v1/orders", {"course_id": 1}, format="json")
    assert response.status_code == 403


def test_percent_coupon_with_minimum_charge(buyer) -> None:
    # given: 90% off but never below 30.00
    course = paid_course(price=10000)
    make_coupon(course, code="BIG90", value=90, min_charge_minor=3000)
    # when
    order = order_create(user_id=buyer.pk, course_id=course.pk, coupon_code="big90").order
    # then
    assert order is not None
    assert (order.discount_minor, order.amount_minor) == (7000, 3000)
    assert Coupon.objects.get(code="BIG90").redeemed_count == 1


@pytest.mark.parametrize(
    ("coupon_kwargs", "message"),
    [
        ({"is_active": False}, "no longer active"),
        ({"max_redemptions": 0}, "used up"),
        ({"valid_until": "2000-01-01T00:00:00Z"}, "expired"),
        ({"kind": "fixed", "value": 500, "currency": "USD"}, "another currency"),
    ],
)
def test_unusable_coupons_are_refused_and_nothing_is_stored(
    buyer, coupon_kwargs: dict, message: str
) -> None:
    course = paid_course()
    make_coupon(course, code="NOPE", **coupon_kwargs)
    client = APIClient()
    client.force_authenticate(buyer)
    response = _buy(client, course.pk, coupon_code="NOPE")
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not Order.objects.exists()


def test_coupon_for_another_course_and_per_user_limit(buyer) -> None:
    course, other = paid_course(), paid_course()
    make_coupon(other, code="OTHER")
    with pytest.raises(ApplicationError, match="This coupon is for another course") as refused:
        order_create(user_id=buyer.pk, course_id=course.pk, coupon_code="OTHER")
    assert (refused.value.code, refused.value.status) == ("coupon_invalid", 400)
    creator_wide = make_coupon(course, code="ALL", course=None, kind="fixed", value=1000)
    first = order_create(user_id=buyer.pk, course_id=course.pk, coupon_code="ALL").order
    assert first is not None
    assert first.discount_minor == 1000
    from commerce.services import order_cancel

    order_cancel(order_id=first.pk, user_id=buyer.pk)  # the use is released
    creator_wide.refresh_from_db()
    assert creator_wide.redeemed_count == 0
    assert order_create(user_id=buyer.pk, course_id=course.pk, coupon_code="ALL").order is not None


def test_coupon_quote_api() -> None:
    course = paid_course(price=5000)
    make_coupon(course, code="Q10", value=10)
    response = APIClient().get("/api/v1/coupons/quote", {"code": "q10", "course_id": course.pk})
    assert response.status_code == 200
    assert response.json()["amount_minor"] == 4500
    assert (
        APIClient()
        .get("/api/v1/coupons/quote", {"code": "none", "course_id": course.pk})
        .status_code
        == 400
    )


def test_free_course_enrolls_without_an_order(buyer) -> None:
    course = CourseFactory.create(price_minor=0)
    result = order_create(user_id=buyer.pk, course_id=course.pk)
    assert result.order is None
    assert result.enrollment_id is not None
    assert not Order.objects.exists()


def test_failed_and_cancelled_checkouts_close_the_order(
    buyer, django_capture_on_commit_callbacks
) -> None:
    course = paid_course()
    order = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert order is not None
    session = SandboxSession.objects.get(order_number=order.number)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/shop/sandbox/checkout/{session.session_id}/", {"action": "fail"})
    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert not user_has_course_access(user_id=buyer.pk, course=course)
    # and a new attempt is a new order
    again = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert again is not None
    assert again.pk != order.pk
    session = SandboxSession.objects.get(order_number=again.number)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/shop/sandbox/checkout/{session.session_id}/", {"action": "cancel"})
    again.refresh_from_db()
    assert again.status == Order.Status.CANCELLED


def test_pending_orders_expire_and_the_provider_session_closes(buyer) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from commerce.services import orders_expire_due

    course = paid_course()
    order = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert order is not None
    assert orders_expire_due(now=timezone.now() + timedelta(hours=1)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    session = SandboxSession.objects.get(order_number=order.number)
    assert session.status == "expired"
    # paying the expired checkout is refused by the provider
    Client().post(f"/shop/sandbox/checkout/{session.session_id}/", {"action": "pay"})
    session.refresh_from_db()
    assert session.status == "expired"
    assert not user_has_course_access(user_id=buyer.pk, course=course)


def test_creator_cannot_buy_own_course() -> None:
    course = paid_course()
    result = order_create(user_id=course.creator_id, course_id=course.pk)
    assert result.order is None
    assert not Order.objects.exists()


def test_buy_form_redirects_to_the_hosted_checkout(buyer) -> None:
    course = paid_course()
    client = Client()
    client.force_login(buyer)
    response = client.post(f"/shop/buy/{course.pk}/", {"coupon": ""})
    assert response.status_code == 302
    assert "/shop/sandbox/checkout/" in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Pay now" in page.content.decode()
    bad = client.post(f"/shop/buy/{course.pk}/", {"coupon": "NOSUCH"})
    assert bad.status_code == 302
    assert f"/c/{course.slug}/" in bad["Location"]
