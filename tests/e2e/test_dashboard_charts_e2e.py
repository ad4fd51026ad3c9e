"""The dashboard's interactive charts (issue 17, item 6) under production's CSP.

Chart.js is served from static/vendor/ and static/js/charts.js draws each chart
over its SVG from the JSON data block beside it: values on hover, a legend of
buttons that hide a series, the previous period as an overlay. The SVG and
the data table stay in the page.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from analytics.models import Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from tests.analytics.helpers import at, ev
from tests.conftest import require
from tests.e2e.conftest import wait_for_js
from tests.e2e.test_csp_e2e import _violations, csp_page  # noqa: F401 (fixture)
from tests.e2e.test_layout_sizes_e2e import AXE, SIZES, Site, _check, _log_in
from tests.factories import ShortVideoFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
T = Event.Type
ENHANCED = "document.querySelectorAll('.kf-chart-live canvas').length"
TIP = "#chart-watch-canvas + .kf-chart-tip"


def _two_weeks_of_plays() -> tuple[Any, Any]:
    """Plays each day of the last week (3 a day) and of the week before (5 a day)."""
    yesterday = local_today() - timedelta(days=1)
    video = ShortVideoFactory.create(title="Calculus in 60 seconds")
    ids = {"video_id": video.pk, "creator_id": video.creator_id}
    for offset in range(14):
        day = yesterday - timedelta(days=offset)
        for n in range(3 if offset < 7 else 5):
            ev(T.PLAY, at(day, 9), f"s{offset}-{n}", **ids)
    rollups_backfill(first=yesterday - timedelta(days=14), last=yesterday)
    return video, yesterday


def _dataset_visible(page: Any, canvas_id: str, index: int) -> bool:
    return page.evaluate(
        f"Chart.getChart(document.getElementById('{canvas_id}')).isDatasetVisible({index})"
    )


def test_charts_hover_toggle_and_compare_under_the_policy(
    csp_page: Any,  # noqa: F811 (the fixture imported above)
    live_server: Any,
) -> None:
    # given two weeks of plays, rolled up, and an admin who logs in through the admin's form
    _, yesterday = _two_weeks_of_plays()
    UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    first = yesterday - timedelta(days=6)
    url = f"/dashboard/?from={first}&to={yesterday}"
    csp_page.goto(f"{live_server.url}/admin/login/?next={url}")
    csp_page.fill("#id_username", "boss")
    csp_page.fill("#id_password", "pass-word-123")
    csp_page.click("input[type=submit]")
    csp_page.wait_for_url("**/dashboard/**")
    # when the scripts have run: every SVG chart with data has a canvas in its place
    wait_for_js(csp_page, f"{ENHANCED} >= 6")
    assert csp_page.locator("#chart-watch").get_attribute("class") == "kf-chart kf-chart-replaced"
    assert not csp_page.locator("#chart-watch").is_visible()
    canvas = csp_page.locator("#chart-watch-canvas")
    assert canvas.is_visible()
    assert canvas.get_attribute("aria-label") == csp_page.locator("#chart-watch").get_attribute(
        "aria-label"
    )
    # the data table stays beside the chart
    section = csp_page.locator("section", has=csp_page.locator("#chart-watch-canvas"))
    assert section.locator("details table").count() == 1
    # then hovering the last day shows its value
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    # the plot area, inside the axes: Chart.js answers hovers there only
    area = csp_page.evaluate(
        "Chart.getChart(document.getElementById('chart-watch-canvas')).chartArea"
    )
    last_day = (box["x"] + area["right"] - 2, box["y"] + (area["top"] + area["bottom"]) / 2)
    csp_page.mouse.move(*last_day)
    tip = csp_page.locator(TIP)
    tip.wait_for(state="visible")
    assert yesterday.isoformat() in tip.inner_text()
    assert "Plays: 3" in tip.inner_text()
    # a legend click hides a series, a second shows it again
    legend = (
        csp_page.locator("#chart-watch-canvas").locator("xpath=../..").locator(".kf-chart-legend")
    )
    engaged = legend.get_by_role("button", name="Engaged")
    assert _dataset_visible(csp_page, "chart-watch-canvas", 1)
    engaged.click()
    assert engaged.get_attribute("aria-pressed") == "false"
    assert not _dataset_visible(csp_page, "chart-watch-canvas", 1)
    assert _dataset_visible(csp_page, "chart-watch-canvas", 0)
    # the previous period is off until asked for, then its value shows on hover
    assert not _dataset_visible(csp_page, "chart-watch-canvas", 2)
    legend.get_by_role("button", name="Compare with the previous period").click()
    assert _dataset_visible(csp_page, "chart-watch-canvas", 2)  # plays, the week before
    assert not _dataset_visible(csp_page, "chart-watch-canvas", 3)  # engaged stays hidden
    csp_page.mouse.move(box["x"] + area["left"] + 2, last_day[1])
    csp_page.mouse.move(*last_day)
    week_before = (yesterday - timedelta(days=7)).isoformat()
    wait_for_js(
        csp_page,
        f"document.querySelector('{TIP}').innerText.includes('{week_before}')",
    )
    assert "Plays (previous period): 5" in tip.inner_text()
    # and nothing was refused by the Content-Security-Policy
    assert _violations(csp_page) == []


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_interactive_charts_fit_and_pass_axe(live_server: Any, browser: Any, size: str) -> None:
    require(AXE.exists(), "axe-core is not installed: run `npm ci` in the checkout")
    video, _ = _two_weeks_of_plays()
    staff = UserFactory.create(username="ops", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    width, height = SIZES[size]
    # axe is injected as a script, which the policy would refuse: this context bypasses it
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 1024, bypass_csp=True
    )
    site = Site(live_server.url, staff, staff, staff, None, None, video)  # type: ignore[arg-type]
    _log_in(context, site, staff)
    page = context.new_page()
    page.goto(f"{live_server.url}/dashboard/")
    wait_for_js(page, f"{ENHANCED} >= 6")
    problems: list[str] = []
    _check(page, width, f"dashboard-charts-{size}", problems, shot="dashboard-charts")
    page.goto("about:blank")
    context.close()
    assert not problems, "\n".join(problems)
