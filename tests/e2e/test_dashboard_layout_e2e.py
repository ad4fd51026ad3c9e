"""The staff dashboard with a split and event retention fits a phone and passes axe-core."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from analytics.models import Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from tests.analytics.helpers import at, ev
from tests.conftest import require
from tests.e2e.test_layout_sizes_e2e import AXE, SIZES, Site, _check, _log_in
from tests.factories import CourseFactory, ShortVideoFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
T = Event.Type


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_dashboard_splits_and_retention_fit_and_pass_axe(live_server, browser, size) -> None:
    require(AXE.exists(), "axe-core is not installed: run `npm ci` in the checkout")
    # given a week of plays and purchases on two platforms, rolled up
    yesterday = local_today() - timedelta(days=1)
    video = ShortVideoFactory.create(title="一个很长的视频标题 A long video title for the cards")
    course = CourseFactory.create(title="一门课程 A course", creator=video.creator)
    for offset in range(7):
        day = yesterday - timedelta(days=offset)
        for n in range(3):
            ids = {"video_id": video.pk, "creator_id": video.creator_id}
            context = {"platform": "app" if n else "web"}
            ev(T.SIGNUP, at(day, 8), f"s{offset}-{n}")
            ev(T.PLAY, at(day, 9), f"s{offset}-{n}", context=context, **ids)
        ev(
            T.PURCHASE,
            at(day, 10),
            f"s{offset}-0",
            value=9900,
            course_id=course.pk,
            creator_id=course.creator_id,
        )
    rollups_backfill(first=yesterday - timedelta(days=9), last=yesterday)
    staff = UserFactory.create(username="ops", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 1024, bypass_csp=True
    )
    site = Site(live_server.url, staff, staff, staff, course, None, video)  # type: ignore[arg-type]
    _log_in(context, site, staff)
    page = context.new_page()
    problems: list[str] = []
    # when each split and retention choice is shown
    for name, query in (
        ("platform", "split=platform&metric=gmv_minor&r_grain=day"),
        ("course", "split=course&metric=paid_conversion&r_grain=week"),
        ("creator", "split=creator&metric=plays&r_start=order.paid&r_return=video.played"),
    ):
        page.goto(f"{live_server.url}/dashboard/?{query}")
        _check(page, width, f"dashboard-{name}", problems)
        assert page.locator("#split-cards .kf-card").count() >= 1
    page.goto("about:blank")
    context.close()
    # then nothing overflows and axe finds no serious violation
    assert not problems, "\n".join(problems)
