"""The pages still work under production's Content-Security-Policy (issue 12, item 4).

Chromium, production settings (plain http to the live server, so the HTTPS
redirect and secure cookies are off here; the policy is production's own).
Every page is opened with a listener for ``securitypolicyviolation`` events
and console errors; each test does what a person does on the page and then
requires that nothing was refused.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from analytics.models import Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from courses.models import LessonProgress
from courses.services import enrollment_grant
from demo.clips import ClipSpec, render_clip
from tests.analytics.helpers import at, ev
from tests.conftest import wait_until
from tests.e2e.conftest import log_in, wait_for_js
from tests.factories import (
    CategoryFactory,
    CreatorProfileFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WATCH = """() => {
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
  });
}"""


@pytest.fixture
def csp_page(prod_settings: Any, page: Any) -> Any:
    """A page under production's policy that remembers every refusal."""
    prod_settings(DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_COOKIES="false")
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(f"({WATCH})()")
    page.console_violations = console
    return page


def _violations(page: Any) -> list[str]:
    in_page = page.evaluate("window.__violations || []")
    return [*in_page, *page.console_violations]


def _plays(page: Any, selector: str) -> None:
    element = f"document.querySelector('{selector}')"
    wait_for_js(page, f"({element}?.readyState || 0) >= 2", timeout=20)
    start = page.evaluate(f"{element}.currentTime")
    wait_for_js(page, f"{element}.currentTime > {start} + 0.5", timeout=20)


def test_the_policy_is_production_s(csp_page: Any, live_server: Any) -> None:
    response = csp_page.goto(live_server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    # the language switcher (a static script now, no inline handler) still switches
    with csp_page.expect_navigation():
        csp_page.select_option("#lang-select", "zh-hans")
    assert csp_page.locator("html").get_attribute("lang") == "zh-hans"
    # and the API's Swagger UI (its start-up script now a file) draws the operations
    csp_page.goto(live_server.url + "/api/docs/")
    assert wait_until(lambda: csp_page.locator("#swagger-ui .opblock").count() > 10, 30)
    assert _violations(csp_page) == []


def test_the_feed_plays_and_reports_under_the_policy(
    csp_page: Any, live_server: Any, make_clip: Any
) -> None:
    # given: a viewer and published videos
    for n in range(3):
        ShortVideoFactory.create(title=f"Clip {n}", asset__file=make_clip(seconds=4.0))
    log_in(csp_page, live_server, UserFactory.create())
    # when: they open the feed
    with csp_page.expect_response("**/api/v1/events/batch", timeout=30_000) as batch:
        csp_page.goto(live_server.url + "/feed/")
        _plays(csp_page, ".feed-item video")
    # then: the video plays, the page's events reach the server, nothing was refused
    assert batch.value.status == 202
    assert _violations(csp_page) == []


def test_the_lesson_player_plays_under_the_policy(
    csp_page: Any, live_server: Any, make_clip: Any
) -> None:
    lesson = LessonFactory.create(
        duration_seconds=6, asset__file=make_clip(seconds=6.0), asset__duration_seconds=6.0
    )
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=lesson.course)
    log_in(csp_page, live_server, student)
    csp_page.goto(f"{live_server.url}/lessons/{lesson.pk}/")
    csp_page.click("#player")  # the student presses play
    csp_page.evaluate("document.querySelector('#player').play()")
    _plays(csp_page, "#player")
    # the page's script saves the place it reached
    assert wait_until(
        lambda: LessonProgress.objects.filter(user=student, position_seconds__gt=0).exists(), 20
    )
    assert _violations(csp_page) == []


def test_the_studio_upload_works_under_the_policy(
    csp_page: Any, live_server: Any, tmp_path: Path
) -> None:
    creator = CreatorProfileFactory.create().user
    CategoryFactory.create(slug="technology", name="Technology")
    clip = tmp_path / "upload.mp4"
    render_clip(ClipSpec(caption="csp", hue=0.3, seconds=2.0), clip)
    log_in(csp_page, live_server, creator)
    csp_page.goto(live_server.url + "/studio/videos/new/")
    csp_page.get_by_label("Upload a short video").set_input_files(str(clip))
    ready = ".uploader[data-state=ready]"
    assert wait_until(lambda: csp_page.locator(ready).count() == 1, 60), _violations(csp_page)
    assert csp_page.locator("progress").first.get_attribute("value") == "100"
    assert _violations(csp_page) == []


def test_the_dashboard_and_admin_work_under_the_policy(csp_page: Any, live_server: Any) -> None:
    # given: a day of activity, rolled up, and an admin
    yesterday = local_today() - timedelta(days=1)
    video = ShortVideoFactory.create(title="Calculus in 60 seconds")
    for n in range(3):
        ids = {"video_id": video.pk, "creator_id": video.creator_id}
        ev(Event.Type.PLAY, at(yesterday, 9), f"s{n}", **ids)
    rollups_backfill(first=yesterday - timedelta(days=2), last=yesterday)
    UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    # when: the admin logs in through the admin's form and opens the dashboard
    csp_page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    csp_page.fill("#id_username", "boss")
    csp_page.fill("#id_password", "pass-word-123")
    csp_page.click("input[type=submit]")
    csp_page.wait_for_url("**/dashboard/")
    # then: the charts are drawn, styled by the nonce'd style block, and the admin opens
    assert csp_page.locator("svg.kf-chart[role=img]").count() == 8  # retention curves, ratings
    assert (
        csp_page.evaluate("getComputedStyle(document.querySelector('.kf-cards')).display") == "grid"
    )
    csp_page.goto(f"{live_server.url}/admin/")
    csp_page.goto(f"{live_server.url}/admin/courses/course/")
    assert _violations(csp_page) == []
