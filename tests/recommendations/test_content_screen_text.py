"""On-screen text feeds the content model's item text (issue 19): a new video titled
"Lesson 3" gets neighbours of its topic before anyone watches it."""

import numpy as np
import pytest

from courses.models import VideoAnalysis
from recommendations.engine.content import item_vectors
from recommendations.selectors import catalogue_load
from tests.factories import (
    CategoryFactory,
    LessonFactory,
    ShortVideoFactory,
    VideoAnalysisFactory,
)

GEOMETRY = "勾股定理 Pythagoras\n直角三角形 斜边 平方和\na² + b² = c²"
GEOMETRY_2 = "勾股定理 证明\n直角三角形 斜边\n面积 拼图"
BIOLOGY = "光合作用 Photosynthesis\n叶绿体 二氧化碳\n葡萄糖 氧气"
BIOLOGY_2 = "光合作用 光反应\n叶绿体 类囊体\n氧气 释放"


def _video(title: str, screen: str, category) -> int:
    video = ShortVideoFactory.create(title=title, description="", category=category)
    VideoAnalysisFactory.create(asset=video.asset, screen_text=screen)
    return video.pk


@pytest.mark.django_db
def test_a_videos_and_a_courses_text_carry_what_is_on_screen() -> None:
    # given
    category = CategoryFactory.create()
    video_id = _video("Lesson 3", GEOMETRY, category)
    lesson = LessonFactory.create()
    VideoAnalysisFactory.create(asset=lesson.asset, screen_text=BIOLOGY)
    failed = LessonFactory.create(section=lesson.section)
    VideoAnalysisFactory.create(
        asset=failed.asset, status=VideoAnalysis.Status.FAILED, screen_text=""
    )
    # when
    catalogue = catalogue_load()
    # then
    index = catalogue.index()
    assert "勾股定理" in catalogue.content.descriptions[index[f"v{video_id}"]]
    assert catalogue.content.descriptions[index[f"c{lesson.course_id}"]].endswith(BIOLOGY)


@pytest.mark.django_db
def test_loading_the_catalogue_costs_the_same_queries_for_more_items(
    django_assert_max_num_queries,
) -> None:
    category = CategoryFactory.create()
    _video("Lesson 1", GEOMETRY, category)
    LessonFactory.create()
    with django_assert_max_num_queries(6) as few:
        catalogue_load()
    for n in range(5):
        _video(f"Lesson {n + 2}", BIOLOGY, category)
        lesson = LessonFactory.create()
        VideoAnalysisFactory.create(asset=lesson.asset, screen_text=GEOMETRY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        catalogue_load()


@pytest.mark.django_db
def test_generic_titles_find_their_topic_neighbours_through_on_screen_text() -> None:
    # given: four videos titled alike, in one category; the topics are only on screen
    category = CategoryFactory.create()
    ids = [
        _video("Lesson 1", GEOMETRY, category),
        _video("Lesson 2", BIOLOGY, category),
        _video("Lesson 3", GEOMETRY_2, category),
        _video("Lesson 4", BIOLOGY_2, category),
    ]
    # when
    catalogue = catalogue_load()
    vectors = item_vectors(catalogue.content, min_df=1, max_df=1.0)
    similarity = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similarity, -1)
    index = catalogue.index()
    row = [index[f"v{i}"] for i in ids]
    # then: each video's nearest neighbour is the other one of its topic
    assert int(np.argmax(similarity[row[0]])) == row[2]
    assert int(np.argmax(similarity[row[1]])) == row[3]
