"""An admin opens the dashboard, changes the range, sees charts and downloads a CSV."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from analytics.models import DailyMetric, Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from tests.analytics.helpers import at, ev
from tests.factories import CreatorProfileFactory, ShortVideoFactory, UserFactory

T = Event.Type


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_admin_reads_the_dashboard_and_downloads_matching_csv(live_server, page):
    # given two days of activity, rolled up, and an admin
    yesterday = local_today() - timedelta(days=1)
    video = ShortVideoFactory.create(title="Calculus in 60 seconds")
    for offset, viewers in ((1, 2), (0, 5)):
        day = yesterday - timedelta(days=offset)
        for n in range(viewers):
            ids = {"video_id": video.pk, "creator_id": video.creator_id}
            ev(T.PLAY, at(day, 9), f"v{offset}-{n}", **ids)
            ev(T.PROGRESS, at(day, 9, 0, 8), f"v{offset}-{n}", value=8, **ids)
    rollups_backfill(first=yesterday - timedelta(days=9), last=yesterday)
    UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    # when the admin logs in and opens the dashboard
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard/")
    # then the charts are drawn with accessible names
    assert page.locator("svg.kf-chart[role=img]").count() == 8  # retention curves, ratings
    assert "DAU" in (page.locator("#chart-active").get_attribute("aria-label") or "")
    # when the range changes to the last two days
    first = yesterday - timedelta(days=1)
    page.fill("#id_from", first.isoformat())
    page.fill("#id_to", yesterday.isoformat())
    page.click("#kf-apply")
    page.wait_for_url(f"**from={first.isoformat()}**")
    assert page.get_by_text(f"{first.isoformat()} – {yesterday.isoformat()}").is_visible()
    # the interactive chart (static/js/charts.js) shows in the SVG's place
    page.locator("#chart-active-canvas").wait_for(state="visible")
    assert not page.locator("#chart-active").is_visible()
    # and the daily CSV is downloaded
    with page.expect_download() as download_info:
        page.click("text=Download CSV (daily)")
    path = download_info.value.path()
    body = Path(path).read_text(encoding="utf-8-sig")
    # then its numbers equal the rollup table
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["period"] for r in rows] == [first.isoformat(), yesterday.isoformat()]
    for row in rows:
        metric = DailyMetric.objects.get(local_date=row["period"])
        assert int(row["dau"]) == metric.dau
        assert int(row["plays"]) == metric.plays
        assert float(row["watch_seconds"]) == pytest.approx(metric.watch_seconds, abs=1e-4)
    assert [int(r["dau"]) for r in rows] == [2, 5]
    # when the admin splits plays by course and picks monthly retention cohorts
    page.select_option("#id_split", "creator")
    page.select_option("#id_metric", "plays")
    page.select_option("#id_r_grain", "month")
    page.click("#kf-retention-apply")
    page.wait_for_url("**split=creator**")
    # then the split cards and chart show, and the retention table is by month
    assert page.locator("#split-cards .kf-card").count() == 1
    page.locator("#chart-split-canvas").wait_for(state="visible")
    assert "Month 1" in (page.locator("#table-event_retention").text_content() or "")


def _contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two computed ``rgb(...)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


CARD_COLOURS = """() => [...document.querySelectorAll('.kf-card, .kf-card *')].map(el => {
  const card = el.closest('.kf-card');
  return [getComputedStyle(el).color, getComputedStyle(card).backgroundColor];
})"""


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_kpi_cards_are_readable_in_both_themes(live_server, page, scheme):
    # given a creator and a staff member, and yesterday rolled up
    yesterday = local_today() - timedelta(days=1)
    video = ShortVideoFactory.create(title="Contrast")
    CreatorProfileFactory.create(user=video.creator)
    ev(T.PLAY, at(yesterday, 9), "v1", video_id=video.pk, creator_id=video.creator_id)
    rollups_backfill(first=yesterday, last=yesterday)
    UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    page.emulate_media(color_scheme=scheme)
    checked = 0
    for username, url in ((video.creator.username, "/dashboard/creator/"), ("boss", "/dashboard/")):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/?next={url}")
        page.fill("#id_username", username)
        page.fill("#id_password", "pass-word-123")
        page.press("#id_password", "Enter")
        page.wait_for_url(f"**{url}")
        # when the cards are drawn, then every text in them stands out from its card
        pairs = page.evaluate(CARD_COLOURS)
        assert pairs, url
        for foreground, background in pairs:
            ratio = _contrast(foreground, background)
            assert ratio >= 4.5, (url, scheme, foreground, background, round(ratio, 2))
        checked += len(pairs)
    assert checked
