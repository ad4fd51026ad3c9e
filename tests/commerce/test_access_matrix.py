"""Every protected URL × every kind of requester (IDOR / BOLA matrix).

Paid content (lesson page, lesson media, a signed media link) and the
buyer's own objects (order page, order API, refund request). Denied means
403 or 404 — or, for an anonymous visitor on an HTML page, the login
redirect — and never a byte of the protected thing.
"""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from commerce.gateways.sandbox import session_transition
from commerce.models import Order
from commerce.services import order_create, order_sync, refund_request
from tests.factories import LessonFactory, UserFactory

from .conftest import paid_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_clip) -> dict[str, Any]:
    course = paid_course(price=5000, lessons=0)
    lesson = LessonFactory.create(
        section__course=course, asset__file=make_clip("private/videos/test/m.mp4")
    )
    buyer, refunded = UserFactory.create(), UserFactory.create()
    orders = {}
    for user in (buyer, refunded):
        order = order_create(user_id=user.pk, course_id=course.pk).order
        assert order is not None
        session_transition(order_number=order.number, status="paid", notify=False)
        orders[user.pk] = order_sync(order_id=order.pk)
    refund_request(user_id=refunded.pk, order_number=orders[refunded.pk].number)
    assert Order.objects.get(pk=orders[refunded.pk].pk).status == "refunded"
    other_creator = paid_course().creator
    buyer_client = Client()
    buyer_client.force_login(buyer)
    watch = buyer_client.get(f"/lessons/{lesson.pk}/").content.decode()
    media = re.search(r'src="(/lessons/\d+/media\?[^"]+)"', watch)  # the player's source
    assert media is not None
    signed = media.group(1).replace("&amp;", "&")
    return {
        "lesson": lesson,
        "order": orders[buyer.pk],
        "signed": signed,
        "users": {
            "anonymous": None,
            "other_user": UserFactory.create(),
            "other_creator": other_creator,
            "refunded_buyer": refunded,
            "buyer": buyer,
        },
    }


CONTENT = {
    "lesson_page": lambda w: f"/lessons/{w['lesson'].pk}/",
    "lesson_media": lambda w: f"/lessons/{w['lesson'].pk}/media",
    "signed_media": lambda w: w["signed"],
}
OBJECTS = {
    "order_page": lambda w: f"/shop/orders/{w['order'].number}/",
    "order_api": lambda w: f"/api/v1/orders/{w['order'].number}",
}
DENIED_ROLES = ["anonymous", "other_user", "other_creator", "refunded_buyer"]


def _client(world: dict, role: str) -> Client:
    client = Client()
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    return client


def _denied(response: Any, role: str) -> bool:
    if response.status_code in (403, 404, 410):
        return True
    return (
        role == "anonymous"
        and response.status_code == 302
        and "/accounts/login" in response["Location"]
    )


@pytest.mark.parametrize("url_name", list(CONTENT))
@pytest.mark.parametrize("role", DENIED_ROLES)
def test_paid_content_is_denied(world: dict, url_name: str, role: str) -> None:
    response = _client(world, role).get(CONTENT[url_name](world), headers={"Range": "bytes=0-99"})
    assert _denied(response, role), response.status_code
    assert b"ftyp" not in (response.content if not response.streaming else response.getvalue())


@pytest.mark.parametrize("url_name", list(OBJECTS))
@pytest.mark.parametrize("role", ["anonymous", "other_user", "other_creator"])
def test_someone_elses_order_is_denied(world: dict, url_name: str, role: str) -> None:
    response = _client(world, role).get(OBJECTS[url_name](world))
    assert _denied(response, role), response.status_code
    assert world["lesson"].course.title not in response.content.decode()


@pytest.mark.parametrize("role", ["anonymous", "other_user", "other_creator", "refunded_buyer"])
@pytest.mark.parametrize(
    "path", ["/api/v1/orders/{n}/refunds", "/shop/orders/{n}/refund/", "/shop/orders/{n}/cancel/"]
)
def test_someone_elses_order_cannot_be_refunded_or_cancelled(
    world: dict, role: str, path: str
) -> None:
    response = _client(world, role).post(path.format(n=world["order"].number))
    assert _denied(response, role), response.status_code
    assert Order.objects.get(pk=world["order"].pk).status == "paid"


def test_the_buyer_gets_everything(world: dict) -> None:
    client = _client(world, "buyer")
    assert client.get(CONTENT["lesson_page"](world)).status_code == 200
    for name in ("lesson_media", "signed_media"):
        response = client.get(CONTENT[name](world), headers={"Range": "bytes=0-99"})
        assert response.status_code == 206, name
        assert b"ftyp" in response.getvalue()
    for name in OBJECTS:
        assert client.get(OBJECTS[name](world)).status_code == 200
    # and the link names the buyer, so it plays only in the buyer's session
    query = parse_qs(urlsplit(world["signed"]).query)
    assert query["u"] == [str(world["users"]["buyer"].pk)]
