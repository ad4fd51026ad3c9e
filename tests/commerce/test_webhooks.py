"""Provider webhooks: signatures, duplicates, any arrival order, Stripe's scheme."""

import itertools
import json
import random
from typing import Any

import pytest
from django.test import Client

from analytics.models import Event
from commerce.gateways.base import signature_header
from commerce.models import EarningEntry, Order, Refund, SandboxSession, WebhookEvent
from commerce.services import order_create
from courses.models import Enrollment
from courses.selectors import user_has_course_access

from .conftest import STRIPE_SECRET, paid_course, post_webhook, sandbox_event

pytestmark = pytest.mark.django_db


def _snapshot(order: Order, status: str = "paid", refunds: list | None = None) -> dict[str, Any]:
    return {
        "id": order.provider_session_id,
        "order_number": order.number,
        "status": status,
        "charge_id": "ch_1" if status == "paid" else "",
        "amount_total": order.amount_minor,
        "amount_captured": order.amount_minor if status == "paid" else 0,
        "currency": order.currency,
        "refunds": refunds or [],
    }


def _provider_truth(order: Order, status: str = "paid", refunds: list | None = None) -> None:
    """Make the sandbox provider's own record say what really happened."""
    SandboxSession.objects.filter(order_number=order.number).update(
        status=status, charge_id="ch_1" if status == "paid" else "", refunds=refunds or []
    )


def _fingerprint(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order.refunded_minor,
        Enrollment.objects.filter(
            user_id=order.user_id, course_id=order.course_id, is_active=True
        ).count(),
        EarningEntry.objects.filter(order=order).count(),
        Refund.objects.filter(order=order).count(),
        Event.objects.filter(type="order.paid").count(),
        Event.objects.filter(type="order.refunded").count(),
    )


@pytest.fixture
def order(buyer) -> Order:
    created = order_create(user_id=buyer.pk, course_id=paid_course(price=10000).pk).order
    assert created is not None
    return created


def test_ten_duplicate_webhooks_fulfil_once(client: Client, order: Order) -> None:
    # given
    body, meta = sandbox_event("evt_dup", "checkout.session.completed", _snapshot(order))
    # when
    answers = [post_webhook(client, "sandbox", body, meta).status_code for _ in range(10)]
    # then
    assert answers == [200] * 10
    assert _fingerprint(order) == ("paid", 0, 1, 1, 0, 1, 0)
    assert WebhookEvent.objects.count() == 1


def test_the_same_state_under_new_event_ids_is_still_applied_once(
    client: Client, order: Order
) -> None:
    for n in range(10):
        body, meta = sandbox_event(f"evt_{n}", "checkout.session.completed", _snapshot(order))
        assert post_webhook(client, "sandbox", body, meta).status_code == 200
    assert _fingerprint(order) == ("paid", 0, 1, 1, 0, 1, 0)
    assert WebhookEvent.objects.count() == 10


def _history(order: Order) -> list[tuple[str, str, dict]]:
    r1 = {"id": "re_1", "amount": 3000, "key": ""}
    r2 = {"id": "re_2", "amount": 7000, "key": ""}
    return [
        ("evt_paid", "checkout.session.completed", _snapshot(order)),
        ("evt_fail_late", "checkout.session.async_payment_failed", _snapshot(order, "failed")),
        ("evt_r1", "charge.refunded", _snapshot(order, refunds=[r1])),
        ("evt_r2", "charge.refunded", _snapshot(order, refunds=[r1, r2])),
        ("evt_unknown", "customer.created", {"id": "cus_1"}),
    ]


@pytest.mark.parametrize("seed", range(6))
def test_shuffled_and_duplicated_events_converge_on_the_provider_state(
    client: Client, order: Order, seed: int
) -> None:
    # given: the provider's history, duplicated and shuffled
    _provider_truth(order, refunds=[{"id": "re_1", "amount": 3000}, {"id": "re_2", "amount": 7000}])
    events = _history(order) * 2
    random.Random(seed).shuffle(events)
    # when
    for event_id, event_type, obj in events:
        body, meta = sandbox_event(event_id, event_type, obj)
        assert post_webhook(client, "sandbox", body, meta).status_code == 200
    # then: fully refunded, access gone, ledger nets to zero, one of each event
    assert _fingerprint(order) == ("refunded", 10000, 0, 3, 2, 1, 2)
    net = sum(EarningEntry.objects.filter(order=order).values_list("net_minor", flat=True))
    assert net == 0


def test_every_permutation_of_pay_and_partial_refund_agrees(client: Client, buyer) -> None:
    finals = set()
    for n, perm in enumerate(itertools.permutations(range(3))):
        created = order_create(user_id=buyer.pk, course_id=paid_course(price=10000).pk).order
        assert created is not None
        _provider_truth(created, refunds=[{"id": f"re_a{n}", "amount": 1000}])
        history = [
            ("checkout.session.completed", _snapshot(created)),
            ("charge.refunded", _snapshot(created, refunds=[{"id": f"re_a{n}", "amount": 1000}])),
            ("checkout.session.expired", _snapshot(created, "expired")),
        ]
        for i in perm:
            body, meta = sandbox_event(f"evt_{n}_{i}", *history[i])
            post_webhook(client, "sandbox", body, meta)
        created.refresh_from_db()
        finals.add((created.status, created.refunded_minor))
    assert finals == {("partially_refunded", 1000)}


# A fixed clock: signing 301 s off and checking a moment later must not depend
# on how long that moment is on a loaded machine.
NOW = 1_900_000_000


@pytest.mark.parametrize(
    "meta_for",
    [
        lambda body: {"Kf-Sandbox-Signature": signature_header(body, "wrong-secret", t=NOW)},
        lambda body: {
            "Kf-Sandbox-Signature": signature_header(body, "whsec_test_sandbox", t=NOW - 301)
        },
        lambda body: {
            "Kf-Sandbox-Signature": signature_header(body, "whsec_test_sandbox", t=NOW + 301)
        },
        lambda body: {"Kf-Sandbox-Signature": "t=abc,v1=00"},
        lambda body: {"Kf-Sandbox-Signature": ""},
        lambda body: {},
    ],
    ids=["bad-secret", "old", "future", "malformed", "empty", "missing"],
)
def test_bad_or_stale_signatures_are_400_and_change_nothing(
    client: Client, order: Order, meta_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setattr("commerce.gateways.base.webhook_now", lambda: float(NOW), raising=False)
    body, _ = sandbox_event("evt_bad", "checkout.session.completed", _snapshot(order))
    before = _fingerprint(order)
    # when
    response = post_webhook(client, "sandbox", body, meta_for(body))
    # then
    assert response.status_code == 400
    assert _fingerprint(order) == before
    assert not WebhookEvent.objects.exists()


def test_a_tampered_body_is_refused(client: Client, order: Order) -> None:
    body, meta = sandbox_event("evt_t", "checkout.session.completed", _snapshot(order))
    tampered = body.replace(b'"amount_captured": 10000', b'"amount_captured": 1')
    assert post_webhook(client, "sandbox", tampered, meta).status_code == 400
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_signed_garbage_is_400_and_unknown_provider_404(client: Client) -> None:
    body = b"not json"
    meta = {"Kf-Sandbox-Signature": signature_header(body, "whsec_test_sandbox")}
    assert post_webhook(client, "sandbox", body, meta).status_code == 400
    assert post_webhook(client, "paypal", body, meta).status_code == 404
    assert client.get("/api/v1/payments/webhook/sandbox/").status_code == 405


def test_unknown_event_types_are_recorded_and_acknowledged(client: Client) -> None:
    body, meta = sandbox_event("evt_x", "payout.created", {"id": "po_1"})
    assert post_webhook(client, "sandbox", body, meta).status_code == 200
    assert WebhookEvent.objects.get(event_id="evt_x").outcome == "ignored type"


@pytest.mark.parametrize(
    "change",
    [{"amount_captured": 1}, {"currency": "USD"}, {"currency": ""}, {"id": "cs_sbx_other"}],
    ids=["amount", "currency", "no-currency", "other-session"],
)
def test_an_event_that_does_not_match_its_order_is_400_and_changes_nothing(
    client: Client, order: Order, change: dict
) -> None:
    # given: correctly signed, but not what this order's checkout was
    body, meta = sandbox_event("evt_m", "checkout.session.completed", _snapshot(order) | change)
    before = _fingerprint(order)
    # when
    response = post_webhook(client, "sandbox", body, meta)
    # then
    assert response.status_code == 400
    assert _fingerprint(order) == before
    assert not WebhookEvent.objects.exists()


# --- Stripe: verified with the stripe library; we sign payloads ourselves ----


def _stripe_post(
    client: Client, payload: dict, *, secret: str = STRIPE_SECRET, t: int | None = None
) -> Any:
    body = json.dumps(payload).encode()
    header = signature_header(body, secret, t=t)
    return client.post(
        "/api/v1/payments/webhook/stripe/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def _stripe_session_event(order: Order, event_id: str = "evt_s1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": order.provider_session_id,
                "object": "checkout.session",
                "client_reference_id": order.number,
                "amount_total": order.amount_minor,
                "currency": order.currency.lower(),
                "payment_status": "paid",
                "status": "complete",
                "payment_intent": "pi_1",
            }
        },
    }


@pytest.fixture
def stripe_order(buyer, settings, monkeypatch) -> Order:
    """A pending order whose checkout Stripe opened (the library call is faked)."""
    settings.COMMERCE_GATEWAY = "stripe"
    settings.COMMERCE_STRIPE_SECRET_KEY = "sk_test_x"
    monkeypatch.setattr("commerce.gateways.stripe_gateway._client", fake_stripe_client([]))
    created = order_create(user_id=buyer.pk, course_id=paid_course(price=10000).pk).order
    assert created is not None
    assert created.provider == "stripe"
    return created


def fake_stripe_client(calls: list[tuple]) -> Any:
    """A stand-in for ``stripe.StripeClient`` that opens checkout sessions only."""
    import stripe

    class FakeSessions:
        def create(self, params: dict, options: dict) -> Any:
            calls.append((params, options))
            session_id = f"cs_test_{len(calls)}"
            return stripe.checkout.Session.construct_from(
                {"id": session_id, "url": f"https://checkout.stripe.test/{session_id}"}, "sk"
            )

    sessions = FakeSessions()
    return lambda: type(
        "C", (), {"v1": type("V", (), {"checkout": type("K", (), {"sessions": sessions})()})()}
    )()


def test_a_stripe_event_for_a_sandbox_order_is_400_and_changes_nothing(
    client: Client, order: Order
) -> None:
    before = _fingerprint(order)
    assert _stripe_post(client, _stripe_session_event(order)).status_code == 400
    assert _fingerprint(order) == before
    assert not WebhookEvent.objects.exists()


def test_a_sandbox_event_for_a_stripe_order_is_400_and_changes_nothing(
    client: Client, stripe_order: Order
) -> None:
    body, meta = sandbox_event("evt_x", "checkout.session.completed", _snapshot(stripe_order))
    before = _fingerprint(stripe_order)
    assert post_webhook(client, "sandbox", body, meta).status_code == 400
    assert _fingerprint(stripe_order) == before
    assert not WebhookEvent.objects.exists()


def test_stripe_checkout_completed_fulfils_and_refund_reverses(
    client: Client, stripe_order: Order
) -> None:
    order = stripe_order
    # when
    assert _stripe_post(client, _stripe_session_event(order)).status_code == 200
    assert _stripe_post(client, _stripe_session_event(order)).status_code == 200  # duplicate
    refund_event = {
        "id": "evt_s2",
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_1",
                "amount": order.amount_minor,
                "amount_captured": order.amount_minor,
                "currency": "cny",
                "captured": True,
                "metadata": {},
                "refunds": {
                    "data": [{"id": "re_s1", "amount": order.amount_minor, "status": "succeeded"}]
                },
            }
        },
    }
    assert _stripe_post(client, refund_event).status_code == 200
    # then
    assert _fingerprint(order) == ("refunded", 10000, 0, 2, 1, 1, 1)


def test_stripe_bad_signature_and_old_timestamp_are_400(
    client: Client, stripe_order: Order, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = stripe_order
    monkeypatch.setattr("commerce.gateways.base.webhook_now", lambda: float(NOW), raising=False)
    event = _stripe_session_event(order)
    assert _stripe_post(client, event, secret="whsec_other", t=NOW).status_code == 400
    assert _stripe_post(client, event, t=NOW - 301).status_code == 400
    assert _stripe_post(client, event, t=NOW + 301).status_code == 400
    assert Order.objects.get(pk=order.pk).status == "pending"
    assert not WebhookEvent.objects.exists()
    # the same event, signed inside the window, goes through
    assert _stripe_post(client, event, t=NOW - 299).status_code == 200
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_stripe_checkout_session_is_created_with_the_order_key(
    buyer, settings, monkeypatch
) -> None:
    # given: no Stripe server is reachable, so the library call is observed
    settings.COMMERCE_GATEWAY = "stripe"
    settings.COMMERCE_STRIPE_SECRET_KEY = "sk_test_x"
    calls: list[tuple] = []
    monkeypatch.setattr("commerce.gateways.stripe_gateway._client", fake_stripe_client(calls))
    # when
    result = order_create(
        user_id=buyer.pk,
        course_id=paid_course(price=2500).pk,
        success_url="https://x/ok",
        cancel_url="https://x/no",
    )
    # then
    assert result.order is not None
    assert result.order.checkout_url == "https://checkout.stripe.test/cs_test_1"
    params, options = calls[0]
    assert options == {"idempotency_key": f"{result.order.number}:charge"}
    assert params["client_reference_id"] == result.order.number
    assert params["line_items"][0]["price_data"]["unit_amount"] == 2500
    assert user_has_course_access(user_id=buyer.pk, course=result.order.course) is False


def test_stripe_without_a_configured_secret_is_503_and_changes_nothing(
    client: Client, stripe_order: Order, settings
) -> None:
    order = stripe_order
    settings.COMMERCE_STRIPE_WEBHOOK_SECRET = ""
    assert _stripe_post(client, _stripe_session_event(order)).status_code == 503
    assert Order.objects.get(pk=order.pk).status == "pending"
    assert not WebhookEvent.objects.exists()
