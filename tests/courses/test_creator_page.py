"""The public creator page ``/@<handle>/`` and the links to it from other pages."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile
from accounts.services import follow_create
from courses import creator_views
from courses.models import MediaAsset
from courses.search.index import search_text_refresh
from tests.factories import (
    CourseFactory,
    CreatorProfileFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _get(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def _url(profile: CreatorProfile) -> str:
    return f"/@{profile.handle}/"


def _count_queries(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


# --- the page ---------------------------------------------------------------


def test_url_is_the_handle_after_an_at_sign() -> None:
    assert reverse("courses:creator-detail", args=["lin-teaches"]) == "/@lin-teaches/"


def test_page_shows_name_handle_badge_followers_and_escaped_bio(client: Client) -> None:
    # given a verified creator with a bio that tries to inject a script
    profile = CreatorProfileFactory.create(
        user__display_name="林老师",
        handle="lin-teaches",
        is_verified=True,
        follower_count=1234,
        bio='<script>alert("x")</script>\nSecond line',
    )
    # when
    page = _get(client, _url(profile))
    # then
    assert "<h1>林老师" in page
    assert "@lin-teaches" in page
    assert "Verified" in page
    assert '<strong id="follower-count">1234</strong>' in page
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>Second line" in page


def test_unverified_creator_has_no_badge(client: Client) -> None:
    profile = CreatorProfileFactory.create(is_verified=False)
    assert "Verified" not in _get(client, _url(profile))


@pytest.mark.parametrize("path", ["/@no-such-handle/", "/@%E4%B8%AD%E6%96%87/", "/@/", "/@a.b/"])
def test_unknown_handle_is_404(client: Client, path: str) -> None:
    CreatorProfileFactory.create(handle="someone")
    assert client.get(path).status_code == 404


def test_deactivated_creator_has_no_page_and_no_links(client: Client) -> None:
    # given a creator whose account was switched off, with a published video
    profile = CreatorProfileFactory.create(user__is_active=False)
    video = ShortVideoFactory.create(creator=profile.user)
    # then
    assert client.get(_url(profile)).status_code == 404
    assert f'href="{_url(profile)}"' not in _get(client, f"/v/{video.pk}/")


def test_only_published_approved_content_of_this_creator_is_listed(client: Client) -> None:
    # given one creator's content in every state, and another creator's
    creator = CreatorProfileFactory.create().user
    ShortVideoFactory.create(creator=creator, title="Video shown")
    CourseFactory.create(creator=creator, title="Course shown")
    hidden_videos: dict[str, dict[str, Any]] = {
        "Video draft": {"status": "draft"},
        "Video off": {"status": "unpublished"},
        "Video pending": {"moderation": "pending"},
        "Video rejected": {"moderation": "rejected"},
        "Video processing": {"asset__status": MediaAsset.Status.PROCESSING},
    }
    hidden_courses: dict[str, dict[str, Any]] = {
        "Course draft": {"status": "draft"},
        "Course pending": {"moderation": "pending"},
        "Course rejected": {"moderation": "rejected"},
    }
    for title, fields in hidden_videos.items():
        ShortVideoFactory.create(creator=creator, title=title, **fields)
    for title, fields in hidden_courses.items():
        CourseFactory.create(creator=creator, title=title, **fields)
    ShortVideoFactory.create(title="Video of someone else")
    CourseFactory.create(title="Course of someone else")
    # when
    pages = [
        _get(client, _url(creator.creator_profile)),
        _get(client, _url(creator.creator_profile), tab="videos"),
        _get(client, _url(creator.creator_profile), tab="courses"),
    ]
    # then
    assert "Video shown" in pages[0]
    assert "Video shown" in pages[1]
    assert "Course shown" in pages[0]
    assert "Course shown" in pages[2]
    hidden = [*hidden_videos, *hidden_courses, "Video of someone else", "Course of someone else"]
    for title in hidden:
        assert all(title not in page for page in pages), title
    assert '<span class="count">1</span>' in pages[0]  # the tabs count visible items only


def test_creator_without_content_sees_an_empty_page(client: Client) -> None:
    profile = CreatorProfileFactory.create()
    assert "Nothing published yet." in _get(client, _url(profile))
    assert "No videos yet." in _get(client, _url(profile), tab="videos")


# --- following --------------------------------------------------------------


def test_follow_button_only_for_logged_in_viewers_other_than_the_creator(client: Client) -> None:
    # given
    profile = CreatorProfileFactory.create()
    button = 'data-action="follow"'
    # then: anonymous viewers and the creator see no button
    assert button not in _get(client, _url(profile))
    client.force_login(profile.user)
    assert button not in _get(client, _url(profile))
    # and another viewer sees it, not pressed, pointing at the follow API's creator id
    viewer = UserFactory.create()
    client.force_login(viewer)
    page = _get(client, _url(profile))
    assert f'{button} aria-pressed="false">Follow</button>' in page
    assert f'data-creator-id="{profile.user_id}"' in page
    assert "js/creator.js" in page
    # and once they follow, it is pressed and the count has moved
    follow_create(follower_id=viewer.pk, creator_id=profile.user_id)
    page = _get(client, _url(profile))
    assert f'{button} aria-pressed="true">Following</button>' in page
    assert '<strong id="follower-count">1</strong>' in page


def test_follow_api_the_page_script_calls_accepts_the_page_creator(api_client) -> None:
    # given the page's creator id and a logged-in viewer
    profile = CreatorProfileFactory.create()
    api_client.force_authenticate(UserFactory.create())
    # when the script toggles the button
    response = api_client.post(f"/api/v1/creators/{profile.user_id}/follow")
    # then the answer carries the new count the script shows
    assert response.status_code == 200
    assert response.json() == {"active": True, "count": 1}


# --- pagination -------------------------------------------------------------


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(creator_views, "PAGE_SIZE", 3)
    monkeypatch.setattr(creator_views, "PREVIEW", {"videos": 2, "courses": 1})


def _videos(creator_id: int, n: int) -> list[str]:
    """``n`` videos, returned newest first."""
    now = timezone.now()
    for k in range(n):
        ShortVideoFactory.create(
            creator_id=creator_id, title=f"Clip {k:02d}", published_at=now - timedelta(hours=n - k)
        )
    return [f"Clip {k:02d}" for k in reversed(range(n))]


def _shown(page: str, titles: list[str]) -> list[str]:
    """The titles found on the page, in page order."""
    found = [(page.find(f">{t}</a>"), t) for t in titles if f">{t}</a>" in page]
    return [t for _, t in sorted(found)]


@pytest.mark.usefixtures("small_pages")
def test_overview_shows_the_newest_with_a_link_to_all(client: Client) -> None:
    # given seven videos and two courses
    profile = CreatorProfileFactory.create()
    titles = _videos(profile.user_id, 7)
    CourseFactory.create_batch(2, creator=profile.user)
    # when
    page = _get(client, _url(profile))
    # then the two newest videos and one course show, each list with its "all" link
    assert _shown(page, titles) == titles[:2]
    assert page.count('<article class="card course-card">') == 1
    assert 'href="?tab=videos">All videos' in page
    assert 'href="?tab=courses">All courses' in page
    assert 'class="pager"' not in page


@pytest.mark.usefixtures("small_pages")
def test_no_all_link_when_everything_fits(client: Client) -> None:
    profile = CreatorProfileFactory.create()
    _videos(profile.user_id, 2)
    page = _get(client, _url(profile))
    assert "All videos" not in page
    assert "All courses" not in page


@pytest.mark.usefixtures("small_pages")
@pytest.mark.parametrize(
    ("page_param", "expected"),
    [("1", 0), ("2", 1), ("3", 2), ("", 0), ("abc", 0), ("0", 0), ("-1", 0), ("1.5", 0)],
)
def test_videos_tab_pages_newest_first(client: Client, page_param: str, expected: int) -> None:
    # given seven videos in pages of three
    profile = CreatorProfileFactory.create()
    titles = _videos(profile.user_id, 7)
    # when
    page = _get(client, _url(profile), tab="videos", page=page_param)
    # then a missing or bad number is page 1
    assert _shown(page, titles) == titles[expected * 3 : expected * 3 + 3]
    assert f"Page {expected + 1} of 3" in page
    assert ('rel="prev"' in page) == (expected > 0)
    assert ('rel="next"' in page) == (expected < 2)


@pytest.mark.usefixtures("small_pages")
@pytest.mark.parametrize("page_param", ["4", "99", "999999999999999999"])
def test_page_past_the_end_is_404(client: Client, page_param: str) -> None:
    profile = CreatorProfileFactory.create()
    _videos(profile.user_id, 7)
    response = client.get(_url(profile), {"tab": "videos", "page": page_param})
    assert response.status_code == 404


@pytest.mark.usefixtures("small_pages")
def test_courses_tab_pages_and_unknown_tab_is_the_overview(client: Client) -> None:
    # given four courses
    profile = CreatorProfileFactory.create()
    for k in range(4):
        CourseFactory.create(
            creator=profile.user,
            title=f"Course {k}",
            published_at=timezone.now() - timedelta(days=4 - k),
        )
    # when / then: pages of three, newest first
    titles = [f"Course {k}" for k in reversed(range(4))]
    first = _get(client, _url(profile), tab="courses")
    assert _shown(first, titles) == ["Course 3", "Course 2", "Course 1"]
    assert 'href="?tab=courses&amp;page=2"' in first
    second = _get(client, _url(profile), tab="courses", page="2")
    assert _shown(second, titles) == ["Course 0"]
    # and an unknown tab ignores the page number
    other = _get(client, _url(profile), tab="nope", page="99")
    assert _shown(other, titles) == ["Course 3"]


# --- query counts -----------------------------------------------------------


def _content(creator_id: int, videos: int, courses: int) -> None:
    for _ in range(videos):
        ShortVideoFactory.create(creator_id=creator_id).tags.add(TagFactory.create())
    CourseFactory.create_batch(courses, creator_id=creator_id)


@pytest.mark.parametrize("logged_in", [False, True])
@pytest.mark.parametrize(("tab", "queries"), [("", 6), ("videos", 5), ("courses", 4)])
def test_queries_do_not_grow_with_content(
    client: Client, logged_in: bool, tab: str, queries: int
) -> None:
    # given a creator with one video and one course
    profile = CreatorProfileFactory.create()
    _content(profile.user_id, videos=1, courses=1)
    if logged_in:
        client.force_login(UserFactory.create())
    # profile, two counts, the shown page of each list (videos with their tags);
    # a logged-in viewer adds their user row and the follow check
    expected = queries + (2 if logged_in else 0)
    assert _count_queries(client, _url(profile), tab=tab) == expected
    # when they publish dozens more, then the page takes as many queries
    _content(profile.user_id, videos=30, courses=30)
    assert _count_queries(client, _url(profile), tab=tab) == expected


# --- links to the page ------------------------------------------------------


def test_video_page_links_the_creator_and_their_other_videos(client: Client) -> None:
    # given
    profile = CreatorProfileFactory.create(user__display_name="王老师")
    video, other = ShortVideoFactory.create_batch(2, creator=profile.user)
    # when
    page = _get(client, f"/v/{video.pk}/")
    # then the name under the title and the "more from" cards link to the page
    assert f'<a class="creator-link" href="{_url(profile)}">@王老师</a>' in page
    assert other.title in page
    assert page.count(f'href="{_url(profile)}"') == 2


def test_course_page_links_the_creator(client: Client) -> None:
    profile = CreatorProfileFactory.create(user__display_name="王老师")
    course = CourseFactory.create(creator=profile.user)
    page = _get(client, f"/c/{course.slug}/")
    assert f'By <a class="creator-link" href="{_url(profile)}">王老师</a>' in page


def test_search_results_link_creators_from_every_section(client: Client) -> None:
    # given a creator whose name, video and course all match
    profile = CreatorProfileFactory.create(user__display_name="编程老王", handle="lao-wang")
    video = ShortVideoFactory.create(creator=profile.user, title="编程入门")
    course = CourseFactory.create(creator=profile.user, title="编程思维")
    search_text_refresh(video_id=video.pk, course_id=course.pk)
    # when
    page = _get(client, "/search/", q="编程")
    # then the creator card's name and both cards' creator names link to the page
    assert '<h3><a href="/@lao-wang/"><mark>编程</mark>老王</a>' in page
    assert page.count('<a class="creator-link" href="/@lao-wang/">编程老王</a>') == 2


def test_home_cards_link_creators_with_a_handle_and_not_others(client: Client) -> None:
    # given one creator with a profile and one without (e.g. content made in the admin)
    profile = CreatorProfileFactory.create(user__display_name="有主页")
    ShortVideoFactory.create(creator=profile.user)
    CourseFactory.create(creator=profile.user)
    plain = UserFactory.create(display_name="无主页")
    ShortVideoFactory.create(creator=plain)
    # when
    page = _get(client, "/")
    # then
    assert page.count(f'<a class="creator-link" href="{_url(profile)}">有主页</a>') == 2
    assert '<p class="meta">无主页 ·' in page


def test_my_space_links_followed_creators(client: Client) -> None:
    profile = CreatorProfileFactory.create(user__display_name="关注的人")
    viewer = UserFactory.create()
    follow_create(follower_id=viewer.pk, creator_id=profile.user_id)
    client.force_login(viewer)
    page = _get(client, "/me/")
    assert f'<a class="creator-link" href="{_url(profile)}">@关注的人</a>' in page


def test_links_cost_no_query_per_card(client: Client) -> None:
    # given a home page with cards from one and from many creators with profiles
    profile = CreatorProfileFactory.create()
    _content(profile.user_id, videos=1, courses=1)
    before = _count_queries(client, "/")
    for _ in range(8):
        _content(CreatorProfileFactory.create().user_id, videos=1, courses=1)
    # then
    assert _count_queries(client, "/") == before
