"""Commerce fixtures: the sandbox delivers webhooks in-process, plus helpers
that sign provider payloads the way the providers do."""

import json
import time
from typing import Any

import pytest
from django.test import Client

from commerce.gateways.base import signature_header
from commerce.models import Coupon
from tests.factories import CourseFactory, LessonFactory, UserFactory

SANDBOX_SECRET = "whsec_test_sandbox"
STRIPE_SECRET = "whsec_test_stripe"


@pytest.fixture(autouse=True)
def _commerce_settings(settings: Any) -> None:
    settings.COMMERCE_SANDBOX_WEBHOOK_TRANSPORT = "inprocess"
    settings.COMMERCE_SANDBOX_WEBHOOK_SECRET = SANDBOX_SECRET
    settings.COMMERCE_STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.COMMERCE_GATEWAY = "sandbox"
    settings.COMMERCE_REFUND_AUTO_APPROVE = True
    settings.COURSES_MEDIA_ACCEL_PREFIX = ""


def sandbox_event(
    event_id: str,
    event_type: str,
    obj: dict[str, Any],
    *,
    t: int | None = None,
    secret: str = SANDBOX_SECRET,
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"id": event_id, "type": event_type, "created": int(time.time()), "data": {"object": obj}}
    ).encode()
    return body, {"Kf-Sandbox-Signature": signature_header(body, secret, t=t)}


def post_webhook(client: Client, provider: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/payments/webhook/{provider}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def paid_course(price: int = 10000, lessons: int = 2) -> Any:
    course = CourseFactory.create(price_minor=price)
    for _ in range(lessons):
        LessonFactory.create(section__course=course, duration_seconds=100)
    return course


def make_coupon(target: Any, **kwargs: Any) -> Coupon:
    defaults: dict[str, Any] = {
        "code": "SAVE20",
        "creator": target.creator,
        "course": target,
        "kind": Coupon.Kind.PERCENT,
        "value": 20,
    }
    defaults.update(kwargs)
    return Coupon.objects.create(**defaults)


@pytest.fixture
def buyer(db: Any) -> Any:
    return UserFactory.create()
