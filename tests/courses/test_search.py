"""Search: matching in Chinese and English, ranking, filters, highlighting, API and page.

The same tests run on SQLite (LIKE path) locally and on PostgreSQL (full-text
path) in CI; the ``postgres`` tests check what only PostgreSQL has.
"""

from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from courses.models import ShortVideo
from courses.search.index import search_text_refresh
from courses.search.query import TS_CONFIG, highlight, search
from courses.search.text import segment
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    CreatorProfileFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _video(title: str, **kwargs: Any) -> ShortVideo:
    """A published video whose search text is built the way services build it."""
    video = ShortVideoFactory.create(title=title, **kwargs)
    search_text_refresh(video_id=video.pk)
    video.refresh_from_db()
    return video


def _course(title: str, **kwargs: Any):
    course = CourseFactory.create(title=title, **kwargs)
    search_text_refresh(course_id=course.pk)
    course.refresh_from_db()
    return course


# --- matching -------------------------------------------------------------


def test_chinese_word_finds_video_titled_python_biancheng_rumen() -> None:
    # given
    wanted = _video("Python编程入门")
    _video("每天5分钟英语口语")
    # when
    results = search(query="编程", type="videos")
    # then
    assert results.videos is not None
    assert [v.pk for v in results.videos.results] == [wanted.pk]
    assert results.videos.count == 1


def test_english_query_is_case_insensitive_and_matches_whole_tokens() -> None:
    # given
    python = _video("Python编程入门")
    _video("Pythonic? no: Cython tricks")
    # when
    results = search(query="PYTHON", type="videos")
    # then: "cython"/"pythonic" are other tokens, not matches
    assert results.videos is not None
    assert [v.pk for v in results.videos.results] == [python.pk]


def test_all_terms_first_then_any_term_when_nothing_has_all() -> None:
    # given
    both = _video("Python 数据分析")
    only_python = _video("Python 游戏")
    _video("烹饪 入门")
    # when: both words exist together
    together = search(query="python 数据分析", type="videos")
    # and: no video has both words
    apart = search(query="python 烹饪", type="videos")
    # then
    assert together.videos is not None
    assert apart.videos is not None
    assert [v.pk for v in together.videos.results] == [both.pk]
    assert together.videos.matched_all_terms
    assert not apart.videos.matched_all_terms
    assert apart.videos.count == 3
    assert only_python.pk in {v.pk for v in apart.videos.results}


def test_any_term_fallback_ignores_single_characters() -> None:
    # given: 不存在的词 segments to 不存在 / 存在 / 的 / 词
    _video("我的Python笔记")
    exists = _video("存在主义入门")
    # when
    results = search(query="不存在的词", type="videos")
    # then: 的 alone is not enough to be a result
    assert results.videos is not None
    assert [v.pk for v in results.videos.results] == [exists.pk]


def test_search_sees_description_and_tags_after_refresh() -> None:
    # given: a tag added after creation
    video = ShortVideoFactory.create(title="Untitled clip", description="")
    video.tags.add(TagFactory.create(slug="calculus", name="微积分"))
    before = search(query="微积分", type="videos").videos
    assert before is not None
    assert before.count == 0
    # when
    search_text_refresh(video_id=video.pk)
    # then
    found = search(query="微积分", type="videos").videos
    assert found is not None
    assert [v.pk for v in found.results] == [video.pk]


def test_refresh_ignores_missing_ids_and_fills_course_text() -> None:
    # given
    course = CourseFactory.create(title="机器学习实战", summary="From zero")
    # when
    search_text_refresh(video_id=999_999, course_id=course.pk)
    # then
    course.refresh_from_db()
    assert course.search_text == segment("机器学习实战 From zero " + course.description).strip()


def test_only_published_approved_ready_content_is_found() -> None:
    # given
    visible = _video("Rust 入门")
    _video("Rust 草稿", status="draft", published_at=None)
    _video("Rust 违规", moderation="rejected")
    _video("Rust 处理中", asset__status="processing")
    _course("Rust 课程 draft", status="draft", published_at=None)
    _course("Rust 课程 pending", moderation="pending")
    # when
    results = search(query="rust")
    # then
    assert results.videos is not None
    assert results.courses is not None
    assert [v.pk for v in results.videos.results] == [visible.pk]
    assert results.courses.count == 0


# --- ranking --------------------------------------------------------------


def test_more_matched_terms_rank_above_popularity() -> None:
    # given: a very popular partial match and an unpopular full match
    _video("Python 游戏", like_count=50, view_count=500)
    full = _video("Python 数据 游戏", like_count=0)
    # when: any-term mode would have both; all-term mode has just one
    results = search(query="python 数据 游戏 烹饪", type="videos")
    # then
    assert results.videos is not None
    assert results.videos.results[0].pk == full.pk


def test_popularity_breaks_equal_relevance() -> None:
    # given
    quiet = _video("Go 并发", like_count=0)
    loud = _video("Go 并发", like_count=500, view_count=20_000)
    # when
    results = search(query="并发", type="videos")
    # then
    assert results.videos is not None
    assert [v.pk for v in results.videos.results] == [loud.pk, quiet.pk]


def test_courses_rank_by_enrolments_and_rating_when_equally_relevant() -> None:
    # given
    small = _course("SQL 入门", enrollment_count=1)
    big = _course("SQL 入门 课程", enrollment_count=900, rating_count=10, rating_sum=48)
    # when
    results = search(query="sql", type="courses")
    # then
    assert results.courses is not None
    assert [c.pk for c in results.courses.results] == [big.pk, small.pk]


# --- filters --------------------------------------------------------------


def test_category_and_price_filters_narrow_courses() -> None:
    # given
    tech = CategoryFactory.create(slug="technology")
    art = CategoryFactory.create(slug="art")
    free = _course("设计 基础", category=art, price_minor=0)
    cheap = _course("设计 进阶", category=art, price_minor=990)
    dear = _course("设计 大师", category=art, price_minor=19_900)
    other = _course("设计 模式", category=tech, price_minor=4900)

    # when / then
    def ids(**filters: Any) -> set[int]:
        section = search(query="设计", type="courses", **filters).courses
        assert section is not None
        return {c.pk for c in section.results}

    assert ids() == {free.pk, cheap.pk, dear.pk, other.pk}
    assert ids(category_slug="art") == {free.pk, cheap.pk, dear.pk}
    assert ids(pricing="free") == {free.pk}
    assert ids(pricing="paid", category_slug="art") == {cheap.pk, dear.pk}
    assert ids(price_min_minor=990, price_max_minor=4900) == {cheap.pk, other.pk}


def test_creators_match_username_display_name_handle_and_bio() -> None:
    # given
    by_name = CreatorProfileFactory.create(
        user__username="lin", user__display_name="林老师", handle="lin-teaches"
    )
    by_bio = CreatorProfileFactory.create(
        user__username="wu", handle="wu-art", bio="水彩 and 老师 of sketching"
    )
    CreatorProfileFactory.create(user__username="zhang", handle="zhang")
    UserFactory.create(username="lin-viewer")  # not a creator

    # when / then
    def ids(q: str) -> list[int]:
        section = search(query=q, type="creators").creators
        assert section is not None
        return [u.pk for u in section.results]

    assert ids("林老师") == [by_name.user.pk]
    assert ids("lin") == [by_name.user.pk]
    assert ids("wu-art") == [by_bio.user.pk]
    assert ids("水彩") == [by_bio.user.pk]
    assert set(ids("老师")) == {by_name.user.pk, by_bio.user.pk}


def test_limit_is_capped_and_offset_pages_without_overlap() -> None:
    # given
    for k in range(7):
        _video(f"Docker 技巧 {k}", like_count=k)
    # when
    first = search(query="docker", type="videos", limit=3).videos
    second = search(query="docker", type="videos", limit=3, offset=3).videos
    capped = search(query="docker", type="videos", limit=500).videos
    # then
    assert first is not None
    assert second is not None
    assert capped is not None
    assert len(first.results) == 3
    assert len(second.results) == 3
    assert not {v.pk for v in first.results} & {v.pk for v in second.results}
    assert len(capped.results) == 7


# --- highlighting ---------------------------------------------------------


def test_highlight_escapes_then_marks() -> None:
    title = '<script>alert("x")</script> Python编程 & more'
    html = highlight(title, ["python", "编程", "amp"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>Python</mark><mark>编程</mark>" in html
    assert "&amp; more" in html  # "amp" never matches inside an entity


# --- query counts ---------------------------------------------------------


@pytest.mark.parametrize("n_videos", [1, 12])
def test_search_query_count_is_fixed(django_assert_num_queries, n_videos: int) -> None:
    # given: videos with tags and creators with profiles, and a course
    for k in range(n_videos):
        creator = CreatorProfileFactory.create(user__display_name=f"编程老师{k}").user
        video = ShortVideoFactory.create(title=f"编程 第{k}课", creator=creator)
        video.tags.add(TagFactory.create())
        search_text_refresh(video_id=video.pk)
        _course(f"编程 课程 {k}", creator=creator)
    # when / then: videos 3 (counts, page, tags), courses 2, creators 2
    with django_assert_num_queries(7):
        results = search(query="编程", limit=50)
    assert results.videos is not None
    assert results.courses is not None
    assert results.creators is not None
    assert len(results.videos.results) == n_videos
    assert results.creators.count == n_videos


def test_search_api_query_count_is_fixed(django_assert_num_queries, api_client: APIClient) -> None:
    # given
    for k in range(10):
        creator = CreatorProfileFactory.create(user__display_name=f"编程 {k}").user
        _video(f"编程 {k}", creator=creator, course=CourseFactory.create(creator=creator))
        _course(f"编程 课 {k}", creator=creator)
    # when / then
    with django_assert_num_queries(7):
        response = api_client.get("/api/v1/search", {"q": "编程", "limit": "50"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["videos"]["results"]) == 10
    assert body["creators"]["count"] == 10


# --- API ------------------------------------------------------------------


def test_api_returns_sections_with_highlights(api_client: APIClient) -> None:
    # given
    video = _video("Python编程入门")
    course = _course("编程思维", price_minor=4900)
    # when
    body = api_client.get("/api/v1/search", {"q": "编程"}).json()
    # then
    assert body["terms"] == ["编程"]
    assert body["videos"]["count"] == 1
    hit = body["videos"]["results"][0]
    assert hit["id"] == video.pk
    assert hit["title_highlighted"] == "Python<mark>编程</mark>入门"
    assert body["courses"]["results"][0]["slug"] == course.slug
    assert body["courses"]["results"][0]["price_minor"] == 4900
    assert body["creators"]["count"] == 0


def test_api_type_fills_one_section(api_client: APIClient) -> None:
    _video("Python编程入门")
    body = api_client.get("/api/v1/search", {"q": "编程", "type": "videos"}).json()
    assert body["videos"]["count"] == 1
    assert body["courses"] is None
    assert body["creators"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "!!! ？？"}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a", "type": "people"}, "type"),
        ({"q": "a", "limit": "0"}, "limit"),
        ({"q": "a", "limit": "51"}, "limit"),
        ({"q": "a", "offset": "-1"}, "offset"),
        ({"q": "a", "price_min_minor": "abc"}, "price_min_minor"),
        ({"q": "a", "price_min_minor": "-5"}, "price_min_minor"),
        ({"q": "a", "price_min_minor": "5000", "price_max_minor": "100"}, "price_max_minor"),
        ({"q": "a", "pricing": "cheap"}, "pricing"),
        ({"q": "a", "category": "not a slug!"}, "category"),
    ],
)
def test_api_invalid_input_is_400_naming_the_field(
    api_client: APIClient, params: dict[str, str], field: str
) -> None:
    response = api_client.get("/api/v1/search", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["extra"]["fields"]
    assert body["message"].startswith(field)


def test_api_unknown_category_finds_nothing_rather_than_failing(api_client: APIClient) -> None:
    _video("Python编程入门")
    response = api_client.get("/api/v1/search", {"q": "编程", "category": "nowhere"})
    assert response.status_code == 200
    assert response.json()["videos"]["count"] == 0


def test_search_endpoint_is_in_openapi_schema(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "type", "category", "pricing", "price_min_minor", "limit", "offset"} <= names
    assert "400" in operation["responses"]
    assert "SearchResults" in schema["components"]["schemas"]


# --- page -----------------------------------------------------------------


def test_page_shows_three_sections_with_counts(client: Client) -> None:
    # given
    _video("Python编程入门")
    _course("编程思维")
    CreatorProfileFactory.create(user__display_name="编程老王")
    # when
    page = client.get("/search/", {"q": "编程"}).content.decode()
    # then
    assert "Python<mark>编程</mark>入门" in page
    assert "<mark>编程</mark>思维" in page
    assert "<mark>编程</mark>老王" in page
    assert page.count("(1)") == 3


def test_page_renders_script_title_as_text(client: Client) -> None:
    # given
    _video('<script>alert("pwned")</script>编程')
    # when
    page = client.get("/search/", {"q": "编程"}).content.decode()
    # then
    assert '<script>alert("pwned")</script>' not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;<mark>编程</mark>" in page


def test_page_form_errors_are_shown_not_crashed(client: Client) -> None:
    response = client.get("/search/", {"q": "编程", "price_min": "50", "price_max": "10"})
    assert response.status_code == 400
    assert "Must be at least the minimum price." in response.content.decode()
    response = client.get("/search/", {"q": "编程", "price_min": "abc", "page": "-2"})
    assert response.status_code == 400


def test_page_price_filter_is_in_yuan(client: Client) -> None:
    # given
    _course("吉他 入门", price_minor=4900)
    _course("吉他 大师", price_minor=19_900)
    # when
    page = client.get("/search/", {"q": "吉他", "type": "courses", "price_max": "49"})
    # then
    html = page.content.decode()
    assert "<mark>吉他</mark> 入门" in html
    assert "<mark>吉他</mark> 大师" not in html


def test_page_query_count_is_fixed(django_assert_num_queries, client: Client) -> None:
    for k in range(6):
        creator = CreatorProfileFactory.create(user__display_name=f"编程 {k}").user
        _video(f"编程 {k}", creator=creator)
        _course(f"编程 {k}", creator=creator)
    # categories 1 + videos 3 + courses 2 + creators 2
    with django_assert_num_queries(8):
        assert client.get("/search/", {"q": "编程"}).status_code == 200


def test_empty_page_and_header_box_render(client: Client) -> None:
    page = client.get("/search/").content.decode()
    assert 'action="/search/"' in page
    assert "in Chinese or English" in page


def test_filters_alone_browse_the_catalogue_most_popular_first(client: Client) -> None:
    # given published courses (one free), a draft, and videos in two categories
    music = CategoryFactory.create(slug="music")
    popular = _course("吉他 入门", enrollment_count=40, category=music)
    quiet = _course("Rust 入门", enrollment_count=2)
    free = _course("英语 口语", price_minor=0, enrollment_count=5)
    _course("草稿", status="draft")
    in_music = _video("吉他 和弦", category=music)
    _video("英语 单词")
    # when a viewer opens the course catalogue from the header
    assert "/search/?type=courses" in client.get("/").content.decode()
    page = client.get("/search/", {"type": "courses"})
    # then every published course shows, most popular first
    assert page.status_code == 200
    rows = page.context["courses"]
    assert [course.pk for course, _ in rows] == [popular.pk, free.pk, quiet.pk]
    assert page.context["results"].courses.count == 3
    # and the filters narrow it without any words
    free_only = client.get("/search/", {"type": "courses", "pricing": "free"}).context["courses"]
    assert [course.pk for course, _ in free_only] == [free.pk]
    from_zero = client.get("/search/", {"type": "courses", "price_min": "0"}).context["results"]
    assert from_zero.courses.count == 3
    music_all = client.get("/search/", {"category": "music"}).context
    assert [v.pk for v, _ in music_all["videos"]] == [in_music.pk]
    assert [c.pk for c, _ in music_all["courses"]] == [popular.pk]
    assert music_all["results"].creators is None  # creators are found by name only


def test_without_words_search_finds_nothing_unless_asked_to_browse() -> None:
    course = _course("吉他 入门")
    assert search(query="!!!").sections == []
    browsed = search(query="", type="courses", browse=True)
    assert browsed.courses is not None
    assert [c.pk for c in browsed.courses.results] == [course.pk]


# --- PostgreSQL -----------------------------------------------------------


def test_postgres_full_text_finds_chinese_word_with_gin_index(postgres: None) -> None:
    # given
    wanted = _video("Python编程入门")
    _video("Linear Algebra Intuition")
    # when
    results = search(query="编程", type="videos")
    # then
    assert results.videos is not None
    assert [v.pk for v in results.videos.results] == [wanted.pk]
    assert results.videos.results[0].search_score > 0


def test_postgres_plan_uses_the_gin_index(postgres: None) -> None:
    # given: sequential scans made unattractive so a usable index must win
    _video("Python编程入门")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = (
        ShortVideo.objects.annotate(v=SearchVector("search_text", config=TS_CONFIG))
        .filter(v=SearchQuery("编程", config=TS_CONFIG))
        .explain()
    )
    # then
    assert "video_search_text_gin" in plan


def test_postgres_and_then_or_fallback(postgres: None) -> None:
    _video("Python 数据分析")
    _video("烹饪 入门")
    results = search(query="python 烹饪", type="videos")
    assert results.videos is not None
    assert results.videos.count == 2
    assert not results.videos.matched_all_terms
