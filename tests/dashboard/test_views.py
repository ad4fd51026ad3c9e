"""Staff dashboard and creator analytics page: access, filters, charts, CSV, scoping."""

import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission

from analytics.models import DailyMetric, Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from dashboard import views
from tests.factories import CourseFactory, CreatorProfileFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db
T = Event.Type


def _events(video, subject: str, day) -> None:
    from tests.analytics.helpers import at, ev

    ids = {"video_id": video.pk, "creator_id": video.creator_id}
    ev(T.SIGNUP, at(day, 8), subject)
    ev(T.PLAY, at(day, 9), subject, **ids)
    ev(T.PROGRESS, at(day, 9, 0, 6), subject, value=6, **ids)
    ev(T.LIKE, at(day, 9, 0, 7), subject, **ids)


@pytest.fixture
def staff(client):
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.fixture
def data():
    """Two creators, one video each, a few viewers yesterday; rolled up."""
    yesterday = local_today() - timedelta(days=1)
    mine = ShortVideoFactory.create(title="My clip")
    CreatorProfileFactory.create(user=mine.creator)  # a creator: has a creator profile
    theirs = ShortVideoFactory.create(title="=HYPERLINK(evil)")
    for n in range(3):
        _events(mine, f"m{n}", yesterday)
    _events(theirs, "t0", yesterday)
    rollups_backfill(first=yesterday - timedelta(days=2), last=yesterday)
    return SimpleNamespace(mine=mine, theirs=theirs, day=yesterday)


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_non_staff_and_staff_without_permission_are_refused(client):
    client.force_login(UserFactory.create())
    assert client.get("/dashboard/").status_code == 403
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export/daily.csv").status_code == 403


def test_staff_with_the_permission_may_view(client):
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["from=2026-03-05&to=2026-03-01", "from=2024-01-01&to=2026-01-01", "from=soon", "grain=year"],
)
def test_bad_ranges_get_a_form_error_not_a_500(staff, query):
    response = staff.get(f"/dashboard/?{query}")
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert staff.get(f"/dashboard/export/daily.csv?{query}").status_code == 400


def test_every_chart_has_an_aria_label_and_a_data_table(staff, data):
    # when
    html = staff.get("/dashboard/").content.decode()
    # then
    charts = re.findall(
        r'<svg id="([\w-]+)" class="kf-chart" role="img" aria-label="([^"]+)"', html
    )
    assert len(charts) == 8  # six report charts, the ratings and the event retention curves
    for chart_id, label in charts:
        assert label.strip()
        section = html[html.index(f'id="{chart_id}"') :]
        assert "<details><summary>Show data" in section[: section.index("</section>")]
        assert "<caption>" in section[: section.index("</section>")]
    assert "Daily active users" in html or "DAU, " in html
    assert "No model yet" in html


def test_kpi_cards_compare_with_the_previous_period(staff, data):
    html = staff.get("/dashboard/").content.decode()
    assert "vs previous period" in html
    assert "My clip" in html


def test_daily_csv_equals_the_rollup_table(staff, data):
    # when
    first = data.day - timedelta(days=2)
    response = staff.get(f"/dashboard/export/daily.csv?from={first}&to={data.day}")
    body = b"".join(response.streaming_content).decode("utf-8")
    # then
    assert body.startswith("\ufeff")
    assert "Asia-Shanghai" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    stored = {m.local_date.isoformat(): m for m in DailyMetric.objects.all()}
    assert len(rows) == 3
    for row in rows:
        metric = stored[row["period"]]
        assert int(row["dau"]) == metric.dau
        assert int(row["plays"]) == metric.plays
        assert int(row["new_users"]) == metric.new_users
    assert int(rows[-1]["dau"]) == 4


def test_csv_cells_cannot_inject_formulas(staff, data):
    response = staff.get(f"/dashboard/export/videos.csv?from={data.day}&to={data.day}")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK(evil)" in body
    assert ",=HYPERLINK" not in body


def test_unknown_csv_table_is_404(staff):
    assert staff.get("/dashboard/export/nope.csv").status_code == 404


def test_dashboard_query_count_does_not_grow_with_rows(staff, django_assert_max_num_queries):
    # given one day with one video; then with six more videos
    day = local_today() - timedelta(days=1)
    _events(ShortVideoFactory.create(), "a", day)
    rollups_backfill(first=day, last=day)
    with django_assert_max_num_queries(60) as few:
        staff.get("/dashboard/")
    for n in range(6):
        _events(ShortVideoFactory.create(), f"b{n}", day)
    rollups_backfill(first=day, last=day)
    # then the page issues the same number of queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff.get("/dashboard/")


def test_recommender_panel_shows_the_active_model(staff, data, monkeypatch):
    model = SimpleNamespace(pk=3, algorithm="ease", metrics={"ndcg@10": 0.21})
    monkeypatch.setattr(views, "active_model", lambda: model)
    html = staff.get("/dashboard/").content.decode()
    assert "ease" in html
    assert "ndcg@10" in html


def test_admin_index_links_to_the_dashboard(staff):
    assert b'href="/dashboard/"' in staff.get("/admin/").content


# --- Creator page -------------------------------------------------------------------


def test_creator_sees_only_their_own_content(client, data):
    client.force_login(data.mine.creator)
    html = client.get("/dashboard/creator/").content.decode()
    assert "My clip" in html
    assert "HYPERLINK" not in html
    body = b"".join(client.get("/dashboard/creator/export/videos.csv").streaming_content).decode()
    assert "My clip" in body
    assert "HYPERLINK" not in body
    daily = b"".join(client.get("/dashboard/creator/export/daily.csv").streaming_content)
    assert f"{data.day},3,3,".encode() in daily  # 3 plays, 3 viewers: theirs excluded


def test_creator_page_is_for_creators_only(client):
    assert client.get("/dashboard/creator/").status_code == 302
    client.force_login(UserFactory.create())
    assert client.get("/dashboard/creator/").status_code == 403
    # a course alone does not make a creator: the creator profile does (accounts.selectors)
    client.force_login(CourseFactory.create().creator)
    assert client.get("/dashboard/creator/").status_code == 403
    client.force_login(CreatorProfileFactory.create().user)
    assert client.get("/dashboard/creator/").status_code == 200


def test_cached_report_refreshes_when_a_day_is_rolled_up_again(staff, data):
    # given the page was rendered (and cached)
    url = f"/dashboard/export/daily.csv?from={data.day}&to={data.day}"
    before = b"".join(staff.get(url).streaming_content).decode()
    # when more activity arrives and the day is rolled up again
    _events(data.mine, "late-viewer", data.day)
    rollups_backfill(first=data.day, last=data.day)
    after = b"".join(staff.get(url).streaming_content).decode()
    # then the new numbers show at once
    assert f"{data.day},4," in before
    assert f"{data.day},5," in after


def test_warming_builds_the_preset_reports_so_the_first_visit_is_a_cache_hit(
    staff, data, django_assert_max_num_queries
):
    from django.core.cache import cache

    from dashboard import reports
    from dashboard.tasks import dashboard_warm_task

    # given a cold cache
    cache.clear()
    # when beat's warm task runs
    dashboard_warm_task.delay()
    # then the default 30-day page reads its report from the cache
    today = local_today()
    last = reports.a.last_complete_day(today)
    with django_assert_max_num_queries(4):  # rollups version only; no report queries
        reports.platform_report(
            first=last - timedelta(days=29), last=last, grain="day", today=today
        )


def test_money_is_shown_in_yuan_for_the_language_and_csv_keeps_fen(staff, data):
    from django.test import Client

    from tests.analytics.helpers import at, ev

    # given a purchase of 1,234.50 yuan yesterday
    course = CourseFactory.create(creator=data.mine.creator)
    ids = {"course_id": course.pk, "creator_id": course.creator_id}
    ev(T.PURCHASE, at(data.day, 10), "m0", value=123450, **ids)
    rollups_backfill(first=data.day, last=data.day)
    creator = Client()
    creator.force_login(course.creator)
    for page in ("/dashboard/", "/dashboard/creator/"):
        client = staff if page == "/dashboard/" else creator
        # when
        english = client.get(page).content.decode()
        chinese = client.get(page, headers={"accept-language": "zh-hans"}).content.decode()
        # then
        assert "¥1,234.50" in english, page
        assert "1,234.50 元" in chinese, page
        for html in (english, chinese):
            assert "123,450" not in html, page
            assert "(fen)" not in html, page
    # and the CSV keeps minor units in a column named so
    csv_body = b"".join(
        staff.get(f"/dashboard/export/daily.csv?from={data.day}&to={data.day}").streaming_content
    ).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(csv_body)))
    assert row["gmv_minor"] == "123450"
