"""Browser journey: coupon → sandbox checkout → lessons unlock → refund granted."""

import re

import pytest

from commerce.models import Coupon, Order
from tests.commerce.conftest import paid_course
from tests.e2e.conftest import wait_for_js
from tests.factories import LessonFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_viewer_buys_with_a_coupon_learns_and_gets_a_refund(
    live_server, page, make_clip, settings
) -> None:
    # given: a course with a locked lesson, a 20% coupon, and a viewer
    settings.COMMERCE_SANDBOX_WEBHOOK_TRANSPORT = "http"  # webhooks over real HTTP
    course = paid_course(price=4900, lessons=0)
    lesson = LessonFactory.create(
        section__course=course,
        title="第一课 Lesson one",
        asset__file=make_clip("private/videos/test/e2e.mp4", seconds=3.0),
    )
    Coupon.objects.create(code="E2E20", creator=course.creator, course=course, value=20)
    viewer = UserFactory.create(username="viewer")

    page.goto(f"{live_server.url}/accounts/login/?next=/c/{course.slug}/")
    page.fill("input[name=username]", viewer.username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("form button[type=submit]:has-text('Log in')")
    page.wait_for_url(f"**/c/{course.slug}/")
    assert page.locator(".locked", has_text="Lesson one").count() == 1
    assert "Refundable within 7 days" in page.inner_text("#refund-rule")
    # when: the viewer applies the coupon and pays on the sandbox page
    page.fill("#coupon-code", "e2e20")
    page.click("#buy-button")
    page.wait_for_url("**/shop/sandbox/checkout/**")
    assert "¥39.20" in page.inner_text("h1")
    page.click("button[value=pay]")
    page.wait_for_url(re.compile(r".*/shop/orders/KF\w+/$"))
    # then: the order is paid (through the signed webhook) and lessons unlock
    assert page.inner_text("#order-status") == "Paid"
    order = Order.objects.get(user=viewer)
    assert (order.status, order.amount_minor, order.coupon_id is not None) == (
        "paid",
        3920,
        True,
    )
    assert order.webhook_events.filter(type="checkout.session.completed").exists()
    page.goto(f"{live_server.url}/c/{course.slug}/")
    page.get_by_role("link", name="第一课 Lesson one").click()
    page.wait_for_url(f"**/lessons/{lesson.pk}/")
    wait_for_js(page, "document.querySelector('#player')?.readyState >= 1", timeout=15)
    # when: the viewer asks for a refund, seeing the rule and the meter first
    page.goto(f"{live_server.url}/shop/orders/{order.number}/")
    assert page.inner_text("#refund-eligibility") == "Eligible for a refund."
    assert page.locator("#refund-meter").get_attribute("max") == "30"
    page.click("form[action$='/refund/'] button")
    # then: it is granted and access ends at once
    page.wait_for_selector("text=Your refund was granted.")
    assert page.inner_text("#order-status") == "Refunded"
    response = page.goto(f"{live_server.url}/lessons/{lesson.pk}/")
    assert response is not None
    assert response.status == 403
