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
