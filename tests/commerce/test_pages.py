"""Buyer and creator pages, the CSV export and the admin screens."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from commerce.gateways.sandbox import session_transition
from commerce.models import Order, Payout
from commerce.services import order_create, order_sync, payout_create, refund_request
from tests.factories import UserFactory

from .conftest import make_coupon, paid_course

pytestmark = pytest.mark.django_db


def _paid(user, course) -> Order:
    order = order_create(user_id=user.pk, course_id=course.pk).order
    assert order is not None
    session_transition(order_number=order.number, status="paid", notify=False)
    return order_sync(order_id=order.pk)


def test_order_history_lists_orders_in_constant_queries(
    buyer, django_assert_max_num_queries
) -> None:
    client = Client()
    client.force_login(buyer)
    for _ in range(3):
        _paid(buyer, paid_course())
    with django_assert_max_num_queries(6):
        first = client.get("/shop/orders/")
    for _ in range(5):
        _paid(buyer, paid_course())
    with django_assert_max_num_queries(6):
        second = client.get("/shop/orders/")
    assert first.status_code == second.status_code == 200
    assert second.content.decode().count("/shop/orders/KF") == 8


def test_order_api_list_is_scoped_and_constant(buyer, django_assert_max_num_queries) -> None:
    from rest_framework.test import APIClient

    for _ in range(4):
        _paid(buyer, paid_course())
    _paid(UserFactory.create(), paid_course())
    client = APIClient()
    client.force_authenticate(buyer)
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/orders/mine")
    assert len(response.json()) == 4


def test_receipt_shows_coupon_rule_and_meter(buyer) -> None:
    course = paid_course(price=10000)
    make_coupon(course, code="HALF", value=50)
    order = order_create(user_id=buyer.pk, course_id=course.pk, coupon_code="HALF").order
    assert order is not None
    session_transition(order_number=order.number, status="paid", notify=False)
    order_sync(order_id=order.pk)
    client = Client()
    client.force_login(buyer)
    page = client.get(f"/shop/orders/{order.number}/").content.decode()
    assert "HALF" in page
    assert "¥50.00" in page
    assert "within 7 days" in page
    assert "less than 30%" in page
    assert 'id="refund-meter"' in page
    assert "Eligible for a refund." in page
    detail = client.get(f"/api/v1/orders/{order.number}").json()
    assert detail["refund_eligibility"]["eligible"] is True
    assert detail["discount_minor"] == 5000


def test_course_page_shows_buy_box_and_refund_rule(buyer) -> None:
    course = paid_course()
    client = Client()
    client.force_login(buyer)
    page = client.get(f"/c/{course.slug}/").content.decode()
    assert 'id="buy-button"' in page
    assert 'name="coupon"' in page
    assert "Refundable within 7 days" in page
    assert "Log in to buy" in Client().get(f"/c/{course.slug}/").content.decode()


def test_creator_ledger_page_and_csv(buyer) -> None:
    course = paid_course(price=10000)
    course.title = "=HYPERLINK(evil)"
    course.save()
    _paid(buyer, course)
    client = Client()
    client.force_login(course.creator)
    page = client.get("/shop/creator/ledger/").content.decode()
    assert "¥70.00" in page  # net, still inside the refund window
    response = client.get("/shop/creator/ledger.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["created_at", "kind", "order_number"]
    assert rows[1][1] == "sale"
    assert rows[1][6] == "7000"
    assert rows[1][3].startswith("'=")  # formula neutralised
    # someone else's ledger is empty
    other = Client()
    other.force_login(buyer)
    assert (
        len(list(csv.reader(io.StringIO(other.get("/shop/creator/ledger.csv").content.decode()))))
        == 1
    )


def test_admin_screens_render_and_payouts_are_marked_paid(buyer, admin_client: Client) -> None:
    course = paid_course()
    order = _paid(buyer, course)
    payout = payout_create(creator_id=course.creator_id, now=timezone.now() + timedelta(days=8))
    assert payout is not None
    for model in (
        "order",
        "payment",
        "webhookevent",
        "refund",
        "coupon",
        "payout",
        "earningentry",
        "couponredemption",
        "refundpolicy",
    ):
        assert admin_client.get(f"/admin/commerce/{model}/").status_code == 200, model
    assert admin_client.get(f"/admin/commerce/order/{order.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/commerce/payout/", {"action": "mark_payouts_paid", "_selected_action": [payout.pk]}
    )
    assert response.status_code == 302
    assert Payout.objects.get(pk=payout.pk).status == "paid"


def test_admin_lists_show_money_in_yuan_not_fen(buyer, admin_client: Client) -> None:
    course = paid_course(price=12345)
    _paid(buyer, course)
    refund_request(user_id=buyer.pk, order_number=Order.objects.get().number)
    payout_create(creator_id=course.creator_id, now=timezone.now() + timedelta(days=8))
    for model, shown in (("order", "¥123.45"), ("refund", "¥123.45"), ("earningentry", "¥86.42")):
        page = admin_client.get(f"/admin/commerce/{model}/").content.decode()
        assert shown in page, model
        assert ">12345<" not in page, model
    chinese = admin_client.get("/admin/commerce/order/", headers={"accept-language": "zh-hans"})
    assert "123.45 元" in chinese.content.decode()


def test_sandbox_checkout_rejects_unknown_actions_and_sessions() -> None:
    client = Client()
    assert client.get("/shop/sandbox/checkout/cs_nope/").status_code == 404
    course = paid_course()
    user = UserFactory.create()
    order = order_create(user_id=user.pk, course_id=course.pk).order
    assert order is not None
    response = client.post(order.checkout_url, {"action": "steal"})
    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_creator_ledger_page_queries_do_not_grow_with_sales(django_assert_max_num_queries) -> None:
    course = paid_course(price=10000)
    client = Client()
    client.force_login(course.creator)
    for _ in range(2):
        _paid(UserFactory.create(), course)
    with django_assert_max_num_queries(9):
        assert client.get("/shop/creator/ledger/").status_code == 200
    for _ in range(6):
        _paid(UserFactory.create(), paid_course_for(course.creator))
    with django_assert_max_num_queries(9):
        page = client.get("/shop/creator/ledger/")
    assert page.content.decode().count("<tr><td>") == 8


def paid_course_for(creator):
    from tests.factories import CourseFactory

    return CourseFactory.create(creator=creator, price_minor=10000)


@pytest.mark.parametrize(
    ("action", "heading", "explanation"),
    [
        ("fail", "Payment failed", "The payment did not go through"),
        ("cancel", "cancelled", "You cancelled this checkout"),
    ],
)
def test_a_failed_or_cancelled_order_says_so_and_offers_an_idempotent_retry(
    buyer, action, heading, explanation
) -> None:
    course = paid_course(price=495)
    coupon = make_coupon(course, code="TRY10", value=10)
    order = order_create(user_id=buyer.pk, course_id=course.pk, coupon_code=coupon.code).order
    assert order is not None
    session_transition(
        order_number=order.number, status="failed" if action == "fail" else "cancelled"
    )
    order_sync(order_id=order.pk)
    client = Client()
    client.force_login(buyer)

    page = client.get(f"/shop/orders/{order.number}/").content.decode()

    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert heading in title
    assert "Receipt" not in title
    assert explanation in page
    assert "Paid" not in page.split('class="receipt"', 1)[1].split("</dl>", 1)[0]
    assert "not charged" in page
    assert f'action="/shop/buy/{course.pk}/"' in page
    assert 'name="coupon" value="TRY10"' in page
    # Retrying twice (a double click) starts one new checkout, with the same coupon.
    first = client.post(f"/shop/buy/{course.pk}/", {"coupon": "TRY10"})
    second = client.post(f"/shop/buy/{course.pk}/", {"coupon": "TRY10"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    retry = Order.objects.exclude(pk=order.pk).get()
    assert retry.status == Order.Status.PENDING
    assert retry.coupon_id == coupon.pk


def test_a_closed_order_whose_course_is_owned_leads_to_the_course(buyer) -> None:
    course = paid_course()
    failed = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert failed is not None
    session_transition(order_number=failed.number, status="failed", notify=False)
    order_sync(order_id=failed.pk)
    _paid(buyer, course)
    client = Client()
    client.force_login(buyer)

    page = client.get(f"/shop/orders/{failed.number}/").content.decode()

    assert "Go to the course" in page
    assert 'id="order-retry"' not in page


def test_after_paying_the_course_page_leads_straight_on_and_shows_the_refund_meter(
    buyer,
) -> None:
    from courses.models import LessonProgress

    course = paid_course(lessons=2)
    first, second = course.lessons.order_by("section__position", "section_id", "position", "id")
    client = Client()
    client.force_login(buyer)
    order = _paid(buyer, course)

    receipt = client.get(f"/shop/orders/{order.number}/").content.decode()
    assert 'id="order-start"' in receipt
    page = client.get(f"/c/{course.slug}/").content.decode()
    assert f'href="/lessons/{first.pk}/">Start learning<' in page
    assert 'id="refund-meter"' in page
    assert "Free previews do not count." in page

    LessonProgress.objects.create(user=buyer, lesson=first, course=course, watched_seconds=10)
    page = client.get(f"/c/{course.slug}/").content.decode()
    assert f'href="/lessons/{first.pk}/">Continue lesson 1<' in page

    LessonProgress.objects.filter(lesson=first).update(completed_at=timezone.now())
    page = client.get(f"/c/{course.slug}/").content.decode()
    assert f'href="/lessons/{second.pk}/">Continue lesson 2<' in page
