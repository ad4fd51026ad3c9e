"""Admin screens of what the recommender sees: the similarity heatmap and a viewer's profile."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import Follow
from analytics.models import CourseDaily, Event, Subject, VideoDaily
from courses.models import Course, ShortVideo, WatchState
from demo import seed
from recommendations import insights, services
from recommendations.engine.weights import time_decay
from recommendations.models import ItemNeighbours, ModelVersion, UserRecommendation
from recommendations.serving import Served, _explain, viewer_context
from tests.factories import CourseFactory, ShortVideoFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

HEATMAP_URL = "/admin/recommendations/modelversion/heatmap/"
SEARCH_URL = "/admin/recommendations/modelversion/viewer/"
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
T = Event.Type


def _version(status: str = "active") -> ModelVersion:
    return ModelVersion.objects.create(algorithm="hybrid_v1", status=status)


def _store_neighbours(version: ModelVersion, lists: dict[str, list[list[object]]]) -> None:
    ItemNeighbours.objects.bulk_create(
        ItemNeighbours(version=version, item_key=key, items=items) for key, items in lists.items()
    )


def _today() -> date:
    """The pages' last local day: rollup rows of the screens' tests are dated from it."""
    return insights.local_today()


def _popularity(counts: dict[str, int], day: date | None = None) -> None:
    """Rollup rows: viewers for videos, page viewers for courses, on one local day."""
    day = day or _today()
    for key, n in counts.items():
        if key[0] == "v":
            VideoDaily.objects.create(local_date=day, video_id=int(key[1:]), viewers=n, plays=n)
        else:
            CourseDaily.objects.create(local_date=day, course_id=int(key[1:]), page_viewers=n)


def _cell(heatmap: insights.Heatmap, row: str, column: str) -> insights.HeatmapCell:
    keys = [item.key for item in heatmap.items]
    return heatmap.rows[keys.index(row)].cells[keys.index(column)]


@pytest.fixture
def four_items() -> dict[str, str]:
    """Three videos and a course with neighbour lists in an active version, a > b > d > c."""
    a, b, c = (ShortVideoFactory.create(title=t) for t in ("Alpha", "Beta", "Gamma"))
    d = CourseFactory.create(title="Delta course")
    keys = {"a": f"v{a.pk}", "b": f"v{b.pk}", "c": f"v{c.pk}", "d": f"c{d.pk}"}
    version = _version()
    _store_neighbours(
        version,
        {
            keys["a"]: [[keys["b"], 0.9], [keys["d"], 0.4]],
            keys["b"]: [[keys["a"], 0.7]],
            keys["c"]: [],
            keys["d"]: [[keys["c"], 0.2]],
        },
    )
    _popularity({keys["a"]: 50, keys["b"]: 40, keys["d"]: 30, keys["c"]: 20})
    return keys


# --- Heatmap ----------------------------------------------------------------


def test_heatmap_cells_are_the_stored_scores_read_both_ways(four_items) -> None:
    k = four_items
    # when
    heatmap = insights.similarity_heatmap(today=_today())
    # then: the row item's list first
    assert (_cell(heatmap, k["a"], k["b"]).score, _cell(heatmap, k["a"], k["b"]).stored_in) == (
        0.9,
        "row",
    )
    assert _cell(heatmap, k["b"], k["a"]).score == 0.7  # stored both ways: each its own
    assert _cell(heatmap, k["d"], k["c"]).score == 0.2
    # only d -> c is stored: c's row reads it from d's list
    assert (_cell(heatmap, k["c"], k["d"]).score, _cell(heatmap, k["c"], k["d"]).stored_in) == (
        0.2,
        "column",
    )
    assert (_cell(heatmap, k["d"], k["a"]).score, _cell(heatmap, k["d"], k["a"]).stored_in) == (
        0.4,
        "column",
    )
    assert _cell(heatmap, k["a"], k["c"]).score is None  # in neither list
    assert _cell(heatmap, k["a"], k["a"]).is_diagonal
    # colour: against the largest score shown
    assert heatmap.max_score == 0.9
    assert _cell(heatmap, k["a"], k["b"]).level == 100
    assert _cell(heatmap, k["a"], k["d"]).level == 44


def test_heatmap_ranks_by_popularity_in_the_window_and_skips_items_without_lists(
    four_items,
) -> None:
    k = four_items
    # given: an old burst outside the 30-day window, and a popular item trained after
    _popularity({k["c"]: 1000}, day=_today() - timedelta(days=30))
    newer = ShortVideoFactory.create()
    _popularity({f"v{newer.pk}": 999})
    # when
    heatmap = insights.similarity_heatmap(today=_today())
    # then
    assert [item.key for item in heatmap.items] == [k["a"], k["b"], k["d"], k["c"]]
    assert [item.popularity for item in heatmap.items] == [50, 40, 30, 20]
    assert heatmap.first == _today() - timedelta(days=29)
    assert [item.title for item in heatmap.items] == ["Alpha", "Beta", "Delta course", "Gamma"]


@pytest.mark.parametrize(
    ("asked", "size"), [(None, 20), (1, 5), (4, 5), (5, 5), (12, 12), (40, 40), (41, 40)]
)
def test_heatmap_size_is_bounded(asked: int | None, size: int) -> None:
    assert insights.heatmap_size(asked) == size


def test_heatmap_shows_the_n_most_popular(four_items) -> None:
    # given: 45 more items with lists, less popular than the four
    version = ModelVersion.objects.get()
    extra = [f"v{ShortVideoFactory.create().pk}" for _ in range(45)]
    _store_neighbours(version, {key: [] for key in extra})
    _popularity(dict.fromkeys(extra, 10))
    # when / then
    assert len(insights.similarity_heatmap(today=_today()).rows) == 20
    assert len(insights.similarity_heatmap(size=5, today=_today()).rows) == 5
    assert len(insights.similarity_heatmap(size=400, today=_today()).rows) == 40
    assert insights.similarity_heatmap(size=5, today=_today()).items[0].key == four_items["a"]


def test_heatmap_labels_items_deleted_since_training(four_items) -> None:
    # given
    ShortVideo.objects.filter(pk=int(four_items["b"][1:])).delete()
    # when
    heatmap = insights.similarity_heatmap(today=_today())
    # then: still there, with its stored scores, under its key
    item = heatmap.items[1]
    assert (item.key, item.title, item.label) == (
        four_items["b"],
        None,
        f"{four_items['b']} (deleted)",
    )
    assert _cell(heatmap, four_items["b"], four_items["a"]).score == 0.7


def test_heatmap_reads_a_chosen_retired_version(four_items) -> None:
    # given: a newer active version where a and b are unrelated
    old = ModelVersion.objects.get()
    old.status = ModelVersion.Status.RETIRED
    old.save(update_fields=["status"])
    new = _version()
    _store_neighbours(new, {four_items["a"]: [], four_items["b"]: []})
    # when
    current = insights.similarity_heatmap(today=_today())
    chosen = insights.similarity_heatmap(version_id=old.pk, today=_today())
    # then
    assert current.version is not None
    assert current.version.id == new.pk
    assert _cell(current, four_items["a"], four_items["b"]).score is None
    assert chosen.version is not None
    assert chosen.version.id == old.pk
    assert _cell(chosen, four_items["a"], four_items["b"]).score == 0.9
    assert [v.id for v in chosen.versions] == [new.pk, old.pk]


def test_heatmap_without_an_active_version_is_an_empty_state(admin_client: Client) -> None:
    # given: popular items, but nothing trained
    _popularity({"v1": 5})
    # when
    heatmap = insights.similarity_heatmap(today=_today())
    page = admin_client.get(HEATMAP_URL)
    # then
    assert heatmap.version is None
    assert heatmap.rows == []
    assert page.status_code == 200
    assert "No active version" in page.content.decode()


def test_heatmap_page_renders_scores_titles_and_colours(four_items, admin_client) -> None:
    # when
    page = admin_client.get(HEATMAP_URL, {"n": 5})
    html = page.content.decode()
    # then
    assert page.status_code == 200
    assert 'id="kf-heatmap"' in html
    assert "Delta course" in html
    assert f'data-key="{four_items["b"]}" data-score="0.90000" data-level="100"' in html
    assert "kf-cell kf-dark" in html  # static/js/admin-insights.js shades it from data-level
    assert "Alpha → Beta: 0.9000" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"n": "3"}, "greater than or equal to 5"),
        ({"n": "400"}, "less than or equal to 40"),
        ({"n": "twenty"}, "Enter a whole number"),
        ({"version": "x"}, "Enter a whole number"),
        ({"version": "99999999999999999999999"}, "less than or equal to"),
    ],
)
def test_heatmap_bad_parameters_fall_back_to_defaults_with_a_message(
    four_items, admin_client, query, message
) -> None:
    page = admin_client.get(HEATMAP_URL, query)
    html = page.content.decode()
    assert page.status_code == 200
    assert message in html
    assert "Showing the default instead" in html
    assert page.context["heatmap"].size == 20


def test_heatmap_of_a_version_that_does_not_exist(four_items, admin_client) -> None:
    page = admin_client.get(HEATMAP_URL, {"version": "987654"})
    assert page.status_code == 200
    assert "Version 987654 does not exist." in page.content.decode()


def test_heatmap_queries_do_not_grow_with_n(django_assert_num_queries) -> None:
    # given: 30 popular items, videos and courses in turn, with lists naming each other
    version = _version()
    keys = [
        f"v{ShortVideoFactory.create().pk}" if i % 2 else f"c{CourseFactory.create().pk}"
        for i in range(30)
    ]
    _store_neighbours(version, {key: [[other, 0.5] for other in keys[:20]] for key in keys})
    _popularity({key: 100 - i for i, key in enumerate(keys)})
    # when / then: versions, active version, 2 popularity, lists, 2 titles
    for size in (5, 20):
        with django_assert_num_queries(7):
            heatmap = insights.similarity_heatmap(size=size, today=_today())
        assert len(heatmap.rows) == size


def test_heatmap_page_queries_are_constant(admin_client: Client) -> None:
    version = _version()
    keys = [
        f"v{ShortVideoFactory.create().pk}" if i % 2 else f"c{CourseFactory.create().pk}"
        for i in range(40)
    ]
    _store_neighbours(version, {key: [[other, 0.5] for other in keys] for key in keys})
    _popularity({key: 100 - i for i, key in enumerate(keys)})
    admin_client.get(HEATMAP_URL)  # the session and the user, cached from here on
    counts = []
    for size in (5, 20, 40):
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(HEATMAP_URL, {"n": size})
        assert len(page.context["heatmap"].rows) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 12


# --- Access -----------------------------------------------------------------


def _staff(*perms: str) -> Client:
    user = UserFactory.create(is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", [HEATMAP_URL, SEARCH_URL, f"{SEARCH_URL}1/"])
def test_non_staff_are_sent_to_the_admin_login(url: str) -> None:
    # given
    viewer = Client()
    viewer.force_login(UserFactory.create())
    # when
    pages = [Client().get(url), viewer.get(url)]
    # then
    for page in pages:
        assert page.status_code == 302
        assert page["Location"].startswith("/admin/login/")


def test_staff_need_the_view_permissions() -> None:
    # given
    viewer = UserFactory.create()
    bare = _staff()
    versions_only = _staff("view_modelversion")
    both = _staff("view_modelversion", "view_user")
    # then
    assert bare.get(HEATMAP_URL).status_code == 403
    assert versions_only.get(HEATMAP_URL).status_code == 200
    assert versions_only.get(f"{SEARCH_URL}{viewer.pk}/").status_code == 403  # personal data
    assert both.get(f"{SEARCH_URL}{viewer.pk}/").status_code == 200


def test_the_version_list_links_both_screens(four_items, admin_client) -> None:
    html = admin_client.get("/admin/recommendations/modelversion/").content.decode()
    version = ModelVersion.objects.get()
    assert f'href="{HEATMAP_URL}"' in html
    assert f'href="{SEARCH_URL}"' in html
    assert f'href="{HEATMAP_URL}?version={version.pk}"' in html
    change = admin_client.get(f"/admin/recommendations/modelversion/{version.pk}/change/")
    assert f"{HEATMAP_URL}?version={version.pk}" in change.content.decode()


# --- Viewer profile ---------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _event(key: str, type_: str, ts: datetime, **fields: object) -> Event:
    return Event.objects.create(subject_id=key, type=type_, ts=ts, **fields)


@pytest.fixture
def viewer_history() -> dict[str, object]:
    """A viewer's events across local days in Asia/Shanghai (UTC+8), and a stranger's."""
    cooking, travel = TagFactory.create(slug="cooking"), TagFactory.create(slug="travel")
    TagFactory.create(slug="python", name="Python")
    v1 = ShortVideoFactory.create(title="Knife skills", duration_seconds=30)
    v2 = ShortVideoFactory.create(title="Road trip", duration_seconds=60)
    v1.tags.add(cooking)
    v2.tags.add(cooking, travel)
    user = UserFactory.create(interests=["python"])
    key = Subject.objects.create(user_id=user.pk).key
    # 2026-03-02 09:30-09:50 local: a like, a play and two heartbeats of v1
    _event(key, T.LIKE, utc(2026, 3, 2, 1, 30), video_id=v1.pk)
    _event(key, T.PLAY, utc(2026, 3, 2, 1, 31), video_id=v1.pk)
    _event(key, T.PROGRESS, utc(2026, 3, 2, 1, 45), video_id=v1.pk, value=10)
    _event(key, T.PROGRESS, utc(2026, 3, 2, 1, 50), video_id=v1.pk, value=25)
    # 21:10 local: a play and a heartbeat under 1 s (neither makes the hour active)
    _event(key, T.PLAY, utc(2026, 3, 2, 13, 10), video_id=v2.pk)
    _event(key, T.PROGRESS, utc(2026, 3, 2, 13, 11), video_id=v2.pk, value=0.5)
    # 00:30 on 2026-03-03 local (still 2 March in UTC): a like and v1 again
    _event(key, T.LIKE, utc(2026, 3, 2, 16, 30), video_id=v2.pk)
    _event(key, T.PROGRESS, utc(2026, 3, 2, 16, 31), video_id=v1.pk, value=8)
    # 10:00 on 2026-01-01 local: long ago, outside the last 30 days
    _event(key, T.COMPLETE, utc(2026, 1, 1, 2, 0), video_id=v1.pk)
    _event(key, T.PROGRESS, utc(2026, 1, 1, 2, 0), video_id=v1.pk, value=100)
    # someone else's events never count
    stranger = Subject.objects.create(user_id=UserFactory.create().pk).key
    _event(stranger, T.LIKE, utc(2026, 3, 2, 5, 0), video_id=v1.pk)
    _event(stranger, T.PROGRESS, utc(2026, 3, 2, 5, 0), video_id=v1.pk, value=500)
    return {"user": user, "v1": v1, "v2": v2}


@override_settings(KF_REPORT_TZ="Asia/Shanghai", RECOMMENDATIONS_HALF_LIFE_DAYS=30.0)
def test_profile_figures_come_from_the_viewers_events(viewer_history) -> None:
    # when
    profile = insights.viewer_profile(user_id=viewer_history["user"].pk, now=NOW)
    # then
    assert profile is not None
    expected_hours = [0] * 24
    expected_hours[9] = expected_hours[0] = expected_hours[10] = 1
    assert profile.hours == expected_hours
    assert profile.active_days == 3  # 2 March, 3 March and 1 January, local
    assert profile.watch_seconds == 25 + 0.5 + 8 + 100  # largest heartbeat per video-day
    assert profile.watch_seconds_30d == 25 + 0.5 + 8
    assert (profile.plays, profile.likes) == (2, 2)
    assert profile.likes_per_active_day == pytest.approx(2 / 3)
    assert profile.likes_per_play == 1.0
    assert profile.tz_name == "Asia/Shanghai"
    assert [bar.level for bar in profile.hour_bars][9] == 100


@override_settings(KF_REPORT_TZ="Asia/Shanghai", RECOMMENDATIONS_HALF_LIFE_DAYS=30.0)
def test_interest_tags_weigh_picked_and_watched_items_as_training_does(viewer_history) -> None:
    # given: what training would give each item (engine weights, 30-day decay)
    def decayed(weight: float, at: datetime) -> float:
        stamps = np.asarray([at.timestamp()])
        return weight * float(time_decay(stamps, now=NOW.timestamp(), half_life_days=30)[0])

    # v1: watched to the end (100 s of 30 s, latest heartbeat 16:31) = 2, liked = 3
    v1 = decayed(2, datetime(2026, 3, 2, 16, 31, tzinfo=UTC)) + decayed(
        3, datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    )
    # v2: 0.5 s of 60 s is below the 30 % view threshold = 0; liked = 3
    v2 = decayed(3, datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
    # when
    profile = insights.viewer_profile(user_id=viewer_history["user"].pk, now=NOW)
    # then
    assert profile is not None
    tags = {t.slug: t for t in profile.tags}
    assert [t.slug for t in profile.tags] == ["cooking", "python", "travel"]
    assert tags["cooking"].weight == pytest.approx(v1 + v2, abs=1e-3)
    assert tags["travel"].weight == pytest.approx(v2, abs=1e-3)
    assert (tags["python"].is_picked, tags["python"].weight, tags["python"].name) == (
        True,
        insights.PICKED_TAG_WEIGHT,
        "Python",
    )
    assert tags["python"].behaviour == 0
    assert not tags["cooking"].is_picked


def test_profile_of_a_user_without_events() -> None:
    user = UserFactory.create(is_personalization_enabled=False)
    profile = insights.viewer_profile(user_id=user.pk, now=NOW)
    assert profile is not None
    assert profile.hours == [0] * 24
    assert (profile.watch_seconds, profile.plays, profile.likes, profile.active_days) == (
        0,
        0,
        0,
        0,
    )
    assert profile.likes_per_active_day is None
    assert profile.likes_per_play is None
    assert profile.served == []
    assert profile.version_id is None
    assert not profile.is_personalization_enabled


@pytest.fixture
def served_setup(viewer_history) -> dict[str, object]:
    """An active version with a stored list for the viewer: seen, followed, deleted items."""
    user = viewer_history["user"]
    v1, v2 = viewer_history["v1"], viewer_history["v2"]
    followed = UserFactory.create()
    v3 = ShortVideoFactory.create(title="Similar to knife skills")
    v4 = ShortVideoFactory.create(title="By a followed creator", creator=followed)
    course = CourseFactory.create(title="Plain course")
    gone = ShortVideoFactory.create()
    gone_key = f"v{gone.pk}"
    gone.delete()
    Follow.objects.create(follower=user, creator=followed)
    WatchState.objects.create(user=user, video=v1)  # watched just now: a session signal
    version = _version()
    _store_neighbours(version, {f"v{v1.pk}": [[f"v{v3.pk}", 0.8], [f"c{course.pk}", 0.1]]})
    items = [
        [f"v{v3.pk}", 0.9],
        [f"v{v4.pk}", 0.8],
        [f"v{v1.pk}", 0.7],
        [gone_key, 0.6],
        [f"v{v2.pk}", 0.5],
        [f"c{course.pk}", 0.4],
    ]
    UserRecommendation.objects.create(version=version, user_id=user.pk, items=items)
    return {"version": version, "items": items, "gone": gone_key}


def test_served_list_has_titles_reasons_and_what_the_feed_drops(
    viewer_history, served_setup
) -> None:
    user = viewer_history["user"]
    v1, v3_key = viewer_history["v1"], served_setup["items"][0][0]
    # when
    profile = insights.viewer_profile(user_id=user.pk, now=NOW)
    # then
    assert profile is not None
    assert profile.version_id == served_setup["version"].pk
    served = {s.key: s for s in profile.served}
    assert [s.key for s in profile.served] == [key for key, _ in served_setup["items"]]
    assert (served[v3_key].title, served[v3_key].reason_kind, served[v3_key].reason_item) == (
        "Similar to knife skills",
        "because_you_watched",
        f"v{v1.pk}",
    )
    assert served[v3_key].reason_title == "Knife skills"
    assert served[served_setup["items"][1][0]].reason_kind == "followed_creator"
    assert served[f"v{v1.pk}"].dropped == "seen"
    assert served[served_setup["gone"]].title is None
    assert served[served_setup["gone"]].dropped == "unavailable"
    assert served[v3_key].dropped == ""


def _objects(items: list[tuple[str, float]]) -> dict[str, ShortVideo | Course]:
    return {
        key: (ShortVideo if key[0] == "v" else Course).objects.get(pk=int(key[1:]))
        for key, _ in items
    }


def test_served_reasons_match_the_feeds(viewer_history, served_setup) -> None:
    # given: the feed's own explanation of the same live items
    user = viewer_history["user"]
    live = [(k, s) for k, s in served_setup["items"] if k != served_setup["gone"]]
    creators = {key: item.creator_id for key, item in _objects(live).items()}
    feed = _explain(
        [Served(k, s) for k, s in live],
        served_setup["version"].pk,
        viewer_context(user_id=user.pk),
        creators,
    )
    # when
    profile = insights.viewer_profile(user_id=user.pk, now=NOW)
    # then
    assert profile is not None
    ours = {s.key: (s.reason_kind, s.reason_item) for s in profile.served}
    assert {s.key: (s.reason["kind"], s.reason.get("item")) for s in feed} == {
        k: ours[k] for k, _ in live
    }


def test_profile_queries_do_not_grow_with_history(
    viewer_history, served_setup, django_assert_num_queries
) -> None:
    user = viewer_history["user"]
    insights.viewer_profile(user_id=user.pk, now=NOW)  # caches "no A/B test runs" (30 s)
    with django_assert_num_queries(19):
        insights.viewer_profile(user_id=user.pk, now=NOW)
    # given: ten times the history over more videos, all tagged
    key = Subject.objects.get(user_id=user.pk).key
    tag = TagFactory.create()
    for i in range(30):
        video = ShortVideoFactory.create()
        video.tags.add(tag)
        at = NOW - timedelta(hours=i * 7)
        _event(key, T.PLAY, at, video_id=video.pk)
        _event(key, T.PROGRESS, at, video_id=video.pk, value=2)
        _event(key, T.LIKE, at, video_id=video.pk)
    # then
    with django_assert_num_queries(19):
        profile = insights.viewer_profile(user_id=user.pk, now=NOW)
    assert profile is not None
    assert profile.likes == 32


@override_settings(KF_REPORT_TZ="Asia/Shanghai")
def test_profile_page_renders_the_profile(viewer_history, served_setup, admin_client) -> None:
    user = viewer_history["user"]
    page = admin_client.get(f"{SEARCH_URL}{user.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Asia/Shanghai" in html
    assert 'id="kf-personalisation">on<' in html
    assert "Similar to knife skills" in html
    assert "because_you_watched" in html
    assert "dropped: seen" in html
    assert f"{served_setup['gone']} (deleted)" in html
    assert f'href="/admin/accounts/user/{user.pk}/change/"' in html


def test_profile_page_of_a_missing_or_absurd_user_is_a_404(admin_client) -> None:
    assert admin_client.get(f"{SEARCH_URL}987654/").status_code == 404
    assert admin_client.get(f"{SEARCH_URL}{'9' * 30}/").status_code == 404


def test_profile_page_queries_are_constant(viewer_history, served_setup, admin_client) -> None:
    user = viewer_history["user"]
    counts = []
    admin_client.get(f"{SEARCH_URL}{user.pk}/")  # the session and the user, cached from here on
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(f"{SEARCH_URL}{user.pk}/").status_code == 200
        counts.append(len(queries))
        key = Subject.objects.get(user_id=user.pk).key
        for i in range(20):
            _event(key, T.LIKE, NOW - timedelta(hours=i), video_id=ShortVideoFactory.create().pk)
    assert counts[0] == counts[1]
    assert counts[0] <= 25


def test_search_opens_an_exact_match_and_lists_partial_ones(admin_client) -> None:
    # given
    UserFactory.create(username="anabel")
    UserFactory.create(username="joanna")
    ana = UserFactory.create(username="ana")  # the exact match comes last by id
    profile_of = reverse("admin:recommendations_modelversion_viewer", args=[ana.pk])
    # when / then
    assert admin_client.get(SEARCH_URL, {"q": "ANA"})["Location"] == profile_of
    assert admin_client.get(SEARCH_URL, {"q": str(ana.pk)})["Location"] == profile_of
    partial = admin_client.get(SEARCH_URL, {"q": "nab"})  # one match: opened
    assert partial.status_code == 302
    several = admin_client.get(SEARCH_URL, {"q": "an"})
    assert several.status_code == 200
    assert [m.username for m in several.context["matches"]] == ["anabel", "joanna", "ana"]
    assert insights.viewer_search(query="ana", limit=1)[0].id == ana.pk
    none = admin_client.get(SEARCH_URL, {"q": "9" * 30})
    assert none.status_code == 200
    assert 'id="kf-viewer-none"' in none.content.decode()
    assert admin_client.get(SEARCH_URL).status_code == 200
    assert admin_client.get(SEARCH_URL, {"q": "²"}).status_code == 200  # a digit to isdigit only


# --- On a trained platform --------------------------------------------------


def test_both_screens_on_a_trained_platform(monkeypatch, admin_client) -> None:
    # given: demo data, a trained version and a day of rollups for its items
    monkeypatch.setattr(seed, "DISTINCT_CLIPS", 3)
    call_command(
        "seed_demo",
        "--users",
        "40",
        "--videos",
        "48",
        "--courses",
        "4",
        "--events",
        "1600",
        "--no-ab-tests",
    )
    version = services.recommender_retrain()
    lists = dict(ItemNeighbours.objects.filter(version=version).values_list("item_key", "items"))
    _popularity({key: 1000 - i for i, key in enumerate(sorted(lists))})
    viewer = UserRecommendation.objects.filter(version=version).order_by("user_id").first()
    assert viewer is not None
    # when
    heatmap = insights.similarity_heatmap()
    page = admin_client.get(HEATMAP_URL)
    profile = admin_client.get(f"{SEARCH_URL}{viewer.user_id}/")
    # then: every cell is what the version stored, one way or the other
    assert page.status_code == 200
    assert profile.status_code == 200
    assert len(heatmap.rows) == 20
    for row in heatmap.rows:
        for cell in row.cells:
            stored_by_row = dict(lists[row.item.key])
            stored_by_column = dict(lists[cell.column.key])
            if cell.stored_in == "row":
                assert cell.score == stored_by_row[cell.column.key]
            elif cell.stored_in == "column":
                assert cell.column.key not in stored_by_row
                assert cell.score == stored_by_column[row.item.key]
            elif not cell.is_diagonal:
                assert cell.column.key not in stored_by_row
                assert row.item.key not in stored_by_column
    served = profile.context["profile"].served
    assert [s.key for s in served] == [k for k, _ in viewer.items[:10]]
    assert all(s.title for s in served)
