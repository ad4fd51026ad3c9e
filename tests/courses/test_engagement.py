import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections

from common.exceptions import ApplicationError
from courses import engagement
from courses.models import Comment, Course, LessonProgress, Report, ShortVideo
from courses.services import enrollment_grant
from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_liking_twice_counts_once_and_unlike_undoes() -> None:
    # given
    video, user = ShortVideoFactory.create(), UserFactory.create()
    # when
    first = engagement.like_set(user_id=user.pk, video=video, liked=True)
    second = engagement.like_set(user_id=user.pk, video=video, liked=True)
    after_unlike = engagement.like_set(user_id=user.pk, video=video, liked=False)
    again = engagement.like_set(user_id=user.pk, video=video, liked=False)
    # then
    assert (first, second, after_unlike, again) == (1, 1, 0, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db_threads")  # with the other many-connection tests
def test_concurrent_likes_keep_the_count_exact(postgres) -> None:
    # given: 8 viewers each clicking like 3 times at once
    video = ShortVideoFactory.create()
    users = [UserFactory.create() for _ in range(8)]
    barrier = threading.Barrier(len(users) * 3)

    def click(user_id: int) -> None:
        barrier.wait()
        try:
            engagement.like_set(user_id=user_id, video=video, liked=True)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click, args=(u.pk,)) for u in users for _ in range(3)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    video.refresh_from_db()
    assert video.like_count == 8 == video.likes.count()


def test_a_reply_to_a_reply_joins_the_thread() -> None:
    video, user = ShortVideoFactory.create(), UserFactory.create()
    top = engagement.comment_create(author_id=user.pk, video=video, body="first")
    reply = engagement.comment_create(
        author_id=user.pk, video=video, body="reply", parent_id=top.pk
    )
    nested = engagement.comment_create(
        author_id=user.pk, video=video, body="deeper", parent_id=reply.pk
    )
    assert nested.parent_id == top.pk
    assert ShortVideo.objects.get(pk=video.pk).comment_count == 3


def test_comments_keep_script_payloads_as_text() -> None:
    video, user = ShortVideoFactory.create(), UserFactory.create()
    comment = engagement.comment_create(
        author_id=user.pk, video=video, body="<script>alert(1)</script>"
    )
    assert comment.body == "<script>alert(1)</script>"  # stored verbatim, rendered with textContent


def test_blank_comments_are_refused() -> None:
    video, user = ShortVideoFactory.create(), UserFactory.create()
    with pytest.raises(ValidationError, match="cannot be blank") as refused:
        engagement.comment_create(author_id=user.pk, video=video, body="   ")
    assert list(refused.value.message_dict) == ["body"]
    assert Comment.objects.count() == 0


def test_only_the_author_edits_or_deletes_a_comment() -> None:
    # given
    video, author, other = ShortVideoFactory.create(), UserFactory.create(), UserFactory.create()
    comment = engagement.comment_create(author_id=author.pk, video=video, body="mine")
    # then
    with pytest.raises(ApplicationError) as error:
        engagement.comment_edit(comment_id=comment.pk, user_id=other.pk, body="hacked")
    assert error.value.status == 403
    with pytest.raises(ApplicationError):
        engagement.comment_delete(comment_id=comment.pk, user_id=other.pk)
    edited = engagement.comment_edit(comment_id=comment.pk, user_id=author.pk, body="edited")
    assert edited.edited_at is not None
    engagement.comment_delete(comment_id=comment.pk, user_id=author.pk)
    assert ShortVideo.objects.get(pk=video.pk).comment_count == 0


def test_reporting_twice_keeps_one_report() -> None:
    video, user = ShortVideoFactory.create(), UserFactory.create()
    first = engagement.report_create(reporter_id=user.pk, video=video, reason="spam")
    second = engagement.report_create(reporter_id=user.pk, video=video, reason="abuse")
    assert first.pk == second.pk
    assert Report.objects.count() == 1


def test_only_students_review_and_the_average_stays_exact() -> None:
    # given
    course = CourseFactory.create()
    student, stranger = UserFactory.create(), UserFactory.create()
    enrollment_grant(user_id=student.pk, course=course)
    # then
    with pytest.raises(ApplicationError):
        engagement.review_upsert(author_id=stranger.pk, course=course, rating=1)
    with pytest.raises(ApplicationError):
        engagement.review_upsert(author_id=course.creator_id, course=course, rating=5)
    engagement.review_upsert(author_id=student.pk, course=course, rating=2)
    engagement.review_upsert(author_id=student.pk, course=course, rating=4, body="better now")
    course = Course.objects.get(pk=course.pk)
    assert (course.rating_count, course.rating_sum, course.rating_average) == (1, 4, 4.0)


def test_a_lesson_completes_at_95_percent_and_watched_time_only_grows() -> None:
    # given: a 100 s lesson
    lesson = LessonFactory.create(duration_seconds=100)
    user = UserFactory.create()
    # when
    engagement.lesson_progress_save(
        user_id=user.pk, lesson=lesson, position_seconds=50, watched_seconds=94
    )
    assert LessonProgress.objects.get().completed_at is None
    engagement.lesson_progress_save(
        user_id=user.pk, lesson=lesson, position_seconds=99, watched_seconds=95
    )
    rewound = engagement.lesson_progress_save(
        user_id=user.pk, lesson=lesson, position_seconds=5, watched_seconds=10
    )
    # then
    assert rewound.completed_at is not None
    assert rewound.watched_seconds == 95
    assert rewound.position_seconds == 5


def test_watch_state_is_clamped_to_the_video() -> None:
    video, user = ShortVideoFactory.create(duration_seconds=3), UserFactory.create()
    state = engagement.watch_state_save(
        user_id=user.pk, video=video, position_seconds=50, playback_rate=1.5
    )
    assert (state.position_seconds, state.playback_rate) == (3, 1.5)
    assert engagement.watch_history_clear(user_id=user.pk) == 1
