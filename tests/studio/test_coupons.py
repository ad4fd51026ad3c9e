"""Creators make and pause discount codes in the studio; buyers' quotes follow."""

import pytest
from django.test import Client

from commerce.models import Coupon
from commerce.selectors import refund_rule_for_course
from commerce.services.coupons import coupon_quote
from common.exceptions import ApplicationError
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio(creator) -> Client:
    client = Client()
    client.force_login(creator)
    return client


def _new(studio: Client, **fields: object):
    data = {"kind": "percent", "amount": "20", "per_user_limit": "1", "min_charge": "0"}
    return studio.post("/studio/coupons/", {**data, **fields})


def test_a_creator_makes_a_percent_coupon_for_one_course_and_buyers_get_it(
    studio: Client, creator
) -> None:
    course = CourseFactory.create(creator=creator, price_minor=10_000)
    # when
    response = _new(studio, code="spring-20", course=str(course.pk), max_redemptions="50")
    # then
    assert response.status_code == 302
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.course_id, coupon.kind, coupon.value) == (
        "SPRING-20",
        course.pk,
        "percent",
        20,
    )
    assert coupon.max_redemptions == 50
    buyer = UserFactory.create()
    assert coupon_quote(code="spring-20", course=course, user_id=buyer.pk) == 2_000
    page = studio.get("/studio/coupons/").content.decode()
    assert "SPRING-20" in page
    assert "0 / 50" in page


def test_a_fixed_coupon_for_all_courses_is_money_in_yuan_and_gets_a_random_code(
    studio: Client, creator
) -> None:
    _new(studio, kind="fixed", amount="9.90", min_charge="1")
    coupon = Coupon.objects.get()
    assert (coupon.kind, coupon.value, coupon.currency, coupon.min_charge_minor) == (
        "fixed",
        990,
        "CNY",
        100,
    )
    assert len(coupon.code) == 8
    assert coupon.course_id is None
    other_course = CourseFactory.create(creator=creator, price_minor=1_000)
    assert coupon_quote(code=coupon.code, course=other_course, user_id=None) == 900


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "no spaces"}, "Codes are 4 to 32 letters"),
        ({"amount": "150"}, "A percentage is between 1 and 100."),
        ({"amount": "12.5"}, "A percentage is a whole number"),
        ({"amount": "0"}, "Ensure this value is greater than or equal to 0.01."),
        (
            {"valid_from": "2026-12-02T10:00", "valid_until": "2026-12-01T10:00"},
            "The end must come after the start.",
        ),
        ({"per_user_limit": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_coupons_are_form_errors(studio: Client, fields: dict, message: str) -> None:
    response = _new(studio, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Coupon.objects.exists()


def test_codes_are_unique_across_creators_and_courses_are_ones_own(
    studio: Client, creator, other_creator
) -> None:
    Coupon.objects.create(code="TAKEN", creator=other_creator, value=10)
    theirs = CourseFactory.create(creator=other_creator)
    taken = _new(studio, code="taken")
    foreign = _new(studio, course=str(theirs.pk))
    assert "That code is taken" in taken.content.decode()
    assert "Select a valid choice" in foreign.content.decode()
    assert Coupon.objects.count() == 1


def test_pausing_stops_new_quotes_and_only_the_owner_can(
    studio: Client, creator, other_creator
) -> None:
    course = CourseFactory.create(creator=creator)
    _new(studio, code="PAUSE-ME", course=str(course.pk))
    coupon = Coupon.objects.get()
    outsider = Client()
    outsider.force_login(other_creator)
    assert outsider.post(f"/studio/coupons/{coupon.pk}/pause").status_code == 404
    assert studio.get(f"/studio/coupons/{coupon.pk}/pause").status_code == 405
    # when
    assert studio.post(f"/studio/coupons/{coupon.pk}/pause").status_code == 302
    # then
    with pytest.raises(ApplicationError, match="no longer active"):
        coupon_quote(code="PAUSE-ME", course=course, user_id=None)
    studio.post(f"/studio/coupons/{coupon.pk}/resume")
    assert coupon_quote(code="PAUSE-ME", course=course, user_id=None) > 0


def test_viewers_without_a_creator_profile_are_sent_to_open_one(client: Client) -> None:
    client.force_login(UserFactory.create())
    response = client.get("/studio/coupons/")
    assert response.status_code == 302
    assert response["Location"] == "/studio/become/"


# --- refund rule ----------------------------------------------------------


def test_a_creator_gives_their_course_a_more_generous_refund_rule(studio: Client, creator) -> None:
    course = CourseFactory.create(creator=creator)
    page = studio.get(f"/studio/courses/{course.pk}/").content.decode()
    assert 'value="7"' in page  # the platform's rule until the creator sets one
    # when
    response = studio.post(
        f"/studio/courses/{course.pk}/refund-rule", {"days": "30", "max_watched_percent": "50"}
    )
    # then
    assert response.status_code == 302
    assert refund_rule_for_course(course_id=course.pk) == (30, 50)


@pytest.mark.parametrize(
    ("days", "percent", "message"),
    [
        ("3", "30", "Refund days are between 7"),
        ("90", "30", "Refund days are between 7"),
        ("10", "10", "between 30% (the platform"),
        ("x", "30", "Enter a whole number"),
    ],
)
def test_a_refund_rule_below_the_platforms_is_refused(
    studio: Client, creator, days: str, percent: str, message: str
) -> None:
    course = CourseFactory.create(creator=creator)
    url = f"/studio/courses/{course.pk}/refund-rule"
    response = studio.post(url, {"days": days, "max_watched_percent": percent}, follow=True)
    assert message in response.content.decode()
    assert refund_rule_for_course(course_id=course.pk) == (7, 30)


def test_only_the_course_owner_sets_its_refund_rule(studio: Client, other_creator) -> None:
    theirs = CourseFactory.create(creator=other_creator)
    url = f"/studio/courses/{theirs.pk}/refund-rule"
    response = studio.post(url, {"days": "30", "max_watched_percent": "50"})
    assert response.status_code == 404
    assert refund_rule_for_course(course_id=theirs.pk) == (7, 30)
