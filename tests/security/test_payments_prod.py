"""Payments cannot be forged under production settings (issue 12, item 1).

The audit's attack: a viewer opens a pending order, then POSTs a
``checkout.session.completed`` event for it to the sandbox webhook, signed
with the secret the source publishes; the order became paid and the lesson
played. Every refusal here is a 400 that changes nothing and is logged.
"""

import json
import time
from typing import Any

import pytest
from django.test import Client

from analytics.models import Event
from commerce.gateways.base import signature_header
from commerce.models import Order, SandboxSession, WebhookEvent
from commerce.services import order_create
from courses.models import Enrollment
from tests.commerce.conftest import paid_course
from tests.commerce.test_webhooks import fake_stripe_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
# The webhook clock, fixed (at about now, so the same events are current on
# code without the clock seam): no test depends on the machine's speed.
NOW = int(time.time())
PUBLISHED_SANDBOX_SECRET = "whsec_sandbox_dev_only"
STAGING_SANDBOX_SECRET = "whsec_staging_from_the_environment"


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("commerce.gateways.base.webhook_now", lambda: float(NOW), raising=False)
    monkeypatch.setattr("commerce.gateways.stripe_gateway._client", fake_stripe_client([]))


def _state(order: Order) -> tuple:
    """Everything a forged payment could change."""
    order.refresh_from_db()
    return (
        order.status,
        Enrollment.objects.filter(user_id=order.user_id, is_active=True).count(),
        Event.objects.filter(type="order.paid").count(),
        WebhookEvent.objects.count(),
    )


def _open_order(gateway: str = "stripe") -> Order:
    buyer = UserFactory.create()
    order = order_create(user_id=buyer.pk, course_id=paid_course(price=9900).pk).order
    assert order is not None
    assert order.provider == gateway
    return order


def _sandbox_completed(order: Order, secret: str, **change: Any) -> tuple[bytes, dict[str, str]]:
    obj = {
        "id": order.provider_session_id,
        "order_number": order.number,
        "status": "paid",
        "charge_id": "ch_forged",
        "amount_total": order.amount_minor,
        "amount_captured": order.amount_minor,
        "currency": order.currency,
        "refunds": [],
    } | change
    body = json.dumps(
        {"id": "evt_forged", "type": "checkout.session.completed", "data": {"object": obj}}
    ).encode()
    return body, {"Kf-Sandbox-Signature": signature_header(body, secret, t=NOW)}


def _stripe_completed(order: Order, *, t: int = NOW, **change: Any) -> tuple[bytes, dict[str, str]]:
    obj = {
        "id": order.provider_session_id,
        "object": "checkout.session",
        "client_reference_id": order.number,
        "amount_total": order.amount_minor,
        "currency": order.currency.lower(),
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_prod_1",
    } | change
    body = json.dumps(
        {
            "id": "evt_s",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": obj},
        }
    ).encode()
    return body, {"Stripe-Signature": signature_header(body, "whsec_prod_stripe", t=t)}


def _post(client: Client, provider: str, signed: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = signed
    return client.post(
        f"/api/v1/payments/webhook/{provider}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_the_audit_attack_a_forged_sandbox_event_is_400_and_the_lesson_stays_locked(
    prod_settings: Any, https_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # given: production, a viewer with a pending order
    prod_settings()
    order = _open_order()
    lesson = order.course.lessons.all()[0]
    https_client.force_login(order.user)
    before = _state(order)
    # when: the event the audit forged, signed with the secret the source publishes
    response = _post(https_client, "sandbox", _sandbox_completed(order, PUBLISHED_SANDBOX_SECRET))
    # then
    assert response.status_code == 400
    assert _state(order) == before == ("pending", 0, 0, 0)
    assert https_client.get(f"/lessons/{lesson.pk}/").status_code == 403
    assert "webhook sandbox refused" in caplog.text


def test_the_sandbox_checkout_page_and_its_pay_button_do_not_exist_in_production(
    prod_settings: Any, https_client: Client
) -> None:
    # given: a sandbox checkout left from before (or made up by hand)
    prod_settings()
    order = _open_order()
    session = SandboxSession.objects.create(
        session_id="cs_sbx_left",
        order_number=order.number,
        amount_minor=order.amount_minor,
        currency=order.currency,
        idempotency_key="k1",
        success_url="https://testserver/shop/checkout/return/",
        cancel_url="https://testserver/shop/orders/",
    )
    # when
    page = https_client.get(f"/shop/sandbox/checkout/{session.session_id}/")
    pay = https_client.post(f"/shop/sandbox/checkout/{session.session_id}/", {"action": "pay"})
    # then
    assert (page.status_code, pay.status_code) == (404, 404)
    session.refresh_from_db()
    assert session.status == "open"
    assert _state(order) == ("pending", 0, 0, 0)


def test_a_stripe_event_for_a_sandbox_order_is_400(
    prod_settings: Any, https_client: Client
) -> None:
    # given: a staging site that runs the sandbox, with Stripe keys configured too
    prod_settings(
        COMMERCE_GATEWAY="sandbox",
        COMMERCE_SANDBOX_ENABLED="true",
        COMMERCE_SANDBOX_WEBHOOK_SECRET=STAGING_SANDBOX_SECRET,
        COMMERCE_SANDBOX_WEBHOOK_TRANSPORT="inprocess",
    )
    order = _open_order("sandbox")
    before = _state(order)
    # when: a correctly Stripe-signed event names the sandbox order
    response = _post(https_client, "stripe", _stripe_completed(order))
    # then
    assert response.status_code == 400
    assert _state(order) == before == ("pending", 0, 0, 0)


def test_a_sandbox_event_for_a_stripe_order_is_400(
    prod_settings: Any, https_client: Client
) -> None:
    # given: a Stripe site whose staging twin also enabled the sandbox
    prod_settings(
        COMMERCE_SANDBOX_ENABLED="true", COMMERCE_SANDBOX_WEBHOOK_SECRET=STAGING_SANDBOX_SECRET
    )
    order = _open_order("stripe")
    # when: signed with the site's real sandbox secret, for an order Stripe opened
    response = _post(https_client, "sandbox", _sandbox_completed(order, STAGING_SANDBOX_SECRET))
    # then
    assert response.status_code == 400
    assert _state(order) == ("pending", 0, 0, 0)


@pytest.mark.parametrize(
    ("change", "t"),
    [
        ({"amount_total": 1}, NOW),
        ({"currency": "usd"}, NOW),
        ({}, NOW - 301),
        ({}, NOW + 301),
        ({"id": "cs_test_someone_elses"}, NOW),
    ],
    ids=["wrong-amount", "wrong-currency", "replay-too-old", "from-the-future", "other-session"],
)
def test_a_stripe_event_that_does_not_match_is_400(
    prod_settings: Any, https_client: Client, change: dict, t: int
) -> None:
    prod_settings()
    order = _open_order()
    response = _post(https_client, "stripe", _stripe_completed(order, t=t, **change))
    assert response.status_code == 400
    assert _state(order) == ("pending", 0, 0, 0)


def test_the_genuine_stripe_event_still_pays(prod_settings: Any, https_client: Client) -> None:
    # given
    prod_settings()
    order = _open_order()
    signed = _stripe_completed(order)
    # when
    first, replay = _post(https_client, "stripe", signed), _post(https_client, "stripe", signed)
    # then: paid once; the replay inside the window is a duplicate
    assert (first.status_code, replay.status_code) == (200, 200)
    assert _state(order) == ("paid", 1, 1, 1)
