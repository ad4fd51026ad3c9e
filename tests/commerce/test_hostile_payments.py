"""Payment requests that used to end in a 500 or in a wrong sales credit (found by fuzzing)."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from commerce.models import Order
from tests.factories import ShortVideoFactory, UserFactory

from .conftest import paid_course, post_webhook, sandbox_event

pytestmark = pytest.mark.django_db


def test_webhook_refuses_multipart_and_odd_signature_digits(client: Client) -> None:
    multipart = client.post("/api/v1/payments/webhook/sandbox/", data={"a": "b"})
    body, _ = sandbox_event("evt_1", "checkout.session.completed", {"id": "cs_1"})
    superscript = post_webhook(client, "sandbox", body, {"Kf-Sandbox-Signature": "t=\u00b2,v1=x"})
    assert multipart.status_code == superscript.status_code == 400
    wrong_method = client.get("/api/v1/payments/webhook/sandbox/")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("obj", ["a string", [1, 2], 7, None])
def test_a_signed_event_whose_object_is_not_an_object_is_refused(client: Client, obj: Any) -> None:
    body, meta = sandbox_event("evt_2", "checkout.session.completed", obj)
    assert post_webhook(client, "sandbox", body, meta).status_code == 400


def test_an_order_is_credited_only_to_a_video_of_the_course_creator() -> None:
    course = paid_course(price=4900)
    strangers_video = ShortVideoFactory.create()
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    response = client.post(
        "/api/v1/orders", {"course_id": course.pk, "video_id": strangers_video.pk}, format="json"
    )
    assert response.status_code == 201
    assert Order.objects.get().attributed_video_id is None


@pytest.mark.parametrize(
    "obj",
    [
        {"id": "cs_1", "note": "a\u0000b"},
        {"id": "cs_1", "amount": float("nan")},
        {"id": "x" * 200},
    ],
)
def test_a_signed_event_postgresql_cannot_store_is_refused(client: Client, obj: Any) -> None:
    event_id = obj["id"] if len(obj["id"]) > 120 else "evt_3"
    body, meta = sandbox_event(event_id, "payout.created", obj)
    assert post_webhook(client, "sandbox", body, meta).status_code == 400


def test_an_unsigned_webhook_with_a_non_ascii_signature_is_400(client: Client) -> None:
    body, _ = sandbox_event("evt_4", "payout.created", {"id": "po_1"})
    header = {"Kf-Sandbox-Signature": f"t={int(__import__('time').time())},v1=\u00e9"}
    assert post_webhook(client, "sandbox", body, header).status_code == 400


def test_idempotency_keys_are_printable_ascii_and_order_numbers_bounded() -> None:
    course = paid_course(price=4900)
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    nul_key = client.post(
        "/api/v1/orders", {"course_id": course.pk}, format="json", HTTP_IDEMPOTENCY_KEY="a\x00b"
    )
    long_number = client.post("/api/v1/orders/" + "A" * 40 + "/refunds", {}, format="json")
    assert nul_key.status_code == 400
    assert long_number.status_code == 404
