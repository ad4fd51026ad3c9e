"""Event context (platform, channel, UTM) and KPIs split by it, from rollups (issue 17, item 2)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import selectors
from analytics.context import channel_of, context_build, landing_of
from analytics.models import BreakdownDaily, DailyMetric, Event
from analytics.services import event_record, rollups_backfill
from tests.factories import ShortVideoFactory, UserFactory

from .helpers import T, at, engaged_view, ev, later

pytestmark = pytest.mark.django_db
D = date(2026, 3, 2)
NOW = later()
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


@pytest.mark.parametrize(
    ("utm", "referrer", "channel"),
    [
        ({}, "", "direct"),
        ({"utm_medium": "cpc", "utm_source": "baidu"}, "", "paid"),
        ({"utm_source": "newsletter", "utm_medium": "email"}, "", "email"),
        ({}, "www.baidu.com", "search"),
        ({}, "m.weibo.cn", "social"),
        ({"utm_source": "weixin"}, "", "social"),
        ({}, "blog.example.org", "referral"),
    ],
)
def test_channel_comes_from_utm_first_then_the_referrer(utm, referrer, channel):
    assert channel_of(utm, referrer.removeprefix("www.")) == channel


def test_context_names_platform_device_and_app_version():
    app = context_build(user_agent="KFApp/3.2.1 (iPhone)", app_version="", landing={})
    phone = context_build(user_agent=IPHONE, app_version="", landing={})
    desktop = context_build(user_agent=DESKTOP, app_version="", landing={})
    assert (app["platform"], app["app_version"], app["channel"]) == ("app", "3.2.1", "app")
    assert (phone["platform"], phone["device"]) == ("mobile_web", "mobile")
    assert (desktop["platform"], desktop["device"]) == ("web", "desktop")


def test_landing_keeps_only_utm_and_the_external_domain():
    landing = landing_of(
        "utm_source=Weixin&utm_campaign=spring&email=x%40y.z",
        "https://www.google.com/search?q=secret",
        "kf.example.com",
    )
    assert landing == {"utm_source": "weixin", "utm_campaign": "spring", "referrer": "google.com"}
    assert landing_of("", "https://kf.example.com/a", "kf.example.com") == {}


def test_events_of_a_visit_carry_the_landing_channel_without_caller_work(api_client):
    # given a phone landing on a page from a WeChat campaign
    video = ShortVideoFactory.create(duration_seconds=10.0)
    api_client.get("/?utm_source=weixin&utm_medium=social", HTTP_USER_AGENT=IPHONE)
    assert "kf_landing" in api_client.cookies
    # when the page later sends a batch (no UTM on that request)
    body = {
        "events": [
            {
                "type": "video.played",
                "ts": (timezone.now() - timedelta(minutes=1)).isoformat(),
                "client_event_id": "c-1",
                "video_id": video.pk,
            }
        ]
    }
    response = api_client.post("/api/v1/events/batch", body, format="json", HTTP_USER_AGENT=IPHONE)
    # then the stored event says where the visit came from
    assert response.status_code == 202
    context = Event.objects.get(client_event_id="c-1").context
    assert (context["platform"], context["channel"], context["utm_source"]) == (
        "mobile_web",
        "social",
        "weixin",
    )


def test_server_events_outside_a_request_carry_an_empty_context():
    event = event_record(type=T.LIKE, subject_id="s", ts=timezone.now())
    assert event.context == {}


def _day_with_platforms() -> None:
    app = {"platform": "app", "channel": "social"}
    web = {"platform": "web", "channel": "direct"}
    engaged_view(at(D, 9), "a", 70, 9, 50)
    Event.objects.filter(subject_id="a").update(context=app)
    ev(T.PURCHASE, at(D, 10), "a", course_id=50, creator_id=9, value=9900, context=app)
    ev(T.LIKE, at(D, 11), "b", video_id=70, creator_id=9, context=web)
    ev(T.PLAY, at(D, 11), "b", video_id=71, creator_id=8, context=web)
    ev(T.SIGNUP, at(D, 12), "c", context=web)
    ev(T.PURCHASE, at(D, 13), "c", course_id=51, creator_id=8, value=4900, context=web)
    ev(T.IMPRESSION, at(D, 13), "d")  # no context: "unknown", and not active
    rollups_backfill(first=D - timedelta(days=1), last=D, now=NOW)


def test_breakdown_values_add_up_to_the_day_totals():
    # given a day of app and web events, rolled up
    _day_with_platforms()
    day = DailyMetric.objects.get(local_date=D)
    rows = {r.value: r for r in BreakdownDaily.objects.filter(local_date=D, dimension="platform")}
    # then each platform got its share, and the parts add up to the day
    assert set(rows) == {"app", "web", "unknown"}
    assert (rows["app"].active, rows["web"].active, rows["unknown"].active) == (1, 2, 0)
    assert (rows["app"].gmv_minor, rows["web"].gmv_minor) == (9900, 4900)
    assert sum(r.plays for r in rows.values()) == day.plays
    assert sum(r.purchases for r in rows.values()) == day.purchases
    assert sum(r.gmv_minor for r in rows.values()) == day.gmv_minor
    assert sum(r.watch_seconds for r in rows.values()) == day.watch_seconds
    visitors = dict(
        BreakdownDaily.objects.filter(local_date=D, dimension="visitor").values_list(
            "value", "active"
        )
    )
    assert visitors == {"new": 3, "inactive": 0}
    creators = dict(
        BreakdownDaily.objects.filter(local_date=D, dimension="creator").values_list(
            "value", "gmv_minor"
        )
    )
    assert creators == {"9": 9900, "8": 4900}


def test_kpi_breakdown_reads_two_queries_and_compares_with_the_previous_period():
    # given the day rolled up
    _day_with_platforms()
    # when an analyst splits GMV by channel over that day
    with CaptureQueriesContext(connection) as queries:
        table = selectors.kpi_breakdown(metric="gmv_minor", dimension="channel", first=D, last=D)
    # then: two queries, largest first, shares of the total
    assert len(queries) == 2
    assert [(r["value"], r["current"], r["share"]) for r in table.rows] == [
        ("social", 9900.0, 9900 / 14800),
        ("direct", 4900.0, 4900 / 14800),
        ("unknown", 0.0, 0.0),
    ]
    with CaptureQueriesContext(connection) as queries:
        series = selectors.kpi_breakdown_series(
            metric="paid_conversion", dimension="platform", first=D - timedelta(days=1), last=D
        )
    assert len(queries) == 1
    assert series.rows[-1]["app"] == 1.0
    assert series.rows[-1]["web"] == 0.5


def test_kpi_breakdown_refuses_unknown_metrics_and_dimensions():
    with pytest.raises(ValueError, match="metric"):
        selectors.kpi_breakdown(metric="nope", dimension="platform", first=D, last=D)
    with pytest.raises(ValueError, match="dimension"):
        selectors.kpi_breakdown(metric="plays", dimension="nope", first=D, last=D)


def test_breakdown_api_is_for_dashboard_staff_and_answers_bad_input_with_400(api_client):
    _day_with_platforms()
    url = "/api/v1/analytics/breakdown"
    query = {"metric": "plays", "dimension": "platform", "first": D, "last": D}
    viewer = UserFactory.create()
    api_client.force_authenticate(viewer)
    assert api_client.get(url, query).status_code == 403
    viewer.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    viewer = type(viewer).objects.get(pk=viewer.pk)  # drop the cached permissions
    api_client.force_authenticate(viewer)
    response = api_client.get(url, query)
    assert response.status_code == 200
    totals = {r["value"]: r["current"] for r in response.json()["totals"]["rows"]}
    assert (totals["app"], totals["web"]) == (1, 1)
    assert api_client.get(url, {**query, "metric": "nope"}).status_code == 400
    assert api_client.get(url, {**query, "first": D + timedelta(days=1)}).status_code == 400
    assert api_client.get(url, {**query, "last": "2026-13-40"}).status_code == 400


def test_category_split_follows_the_catalogue():
    # given plays of a real video whose category the catalogue knows
    video = ShortVideoFactory.create(duration_seconds=10.0)
    ev(T.PLAY, at(D, 9), "a", video_id=video.pk, creator_id=video.creator_id)
    rollups_backfill(first=D, last=D, now=NOW)
    # then the day's plays are filed under that category
    rows = BreakdownDaily.objects.filter(local_date=D, dimension="category")
    assert list(rows.values_list("value", "plays")) == [(str(video.category_id), 1)]
