"""Reads for viewers: feeds, what a viewer did to a page of videos, their library.

Every function answers in a fixed number of queries whatever the page
size. Re-exported from courses.selectors.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from accounts.selectors import followed_creator_ids, followed_creators_q

from .models import (
    Certificate,
    Comment,
    Course,
    Favorite,
    Lesson,
    LessonProgress,
    Like,
    Moderation,
    Review,
    ShortVideo,
    WatchState,
)
from .selectors import course_list_published, video_list_published


def video_list_for_tab(
    *, sort: str, category_slug: str | None = None, following_user_id: int | None = None
) -> QuerySet[ShortVideo]:
    """The feed tabs' lists: newest first, or by trending score (time-decayed
    engagement); optionally only creators that ``following_user_id`` follows."""
    videos = video_list_published(category_slug=category_slug)
    if following_user_id is not None:
        videos = videos.filter(followed_creators_q(user_id=following_user_id))
    if sort == "trending":
        videos = videos.order_by("-trending_score", "-id")
    return videos


def videos_by_ids(*, ids: list[int]) -> list[ShortVideo]:
    """Published videos in the order of ``ids``, skipping any no longer visible."""
    found = {v.pk: v for v in video_list_published().filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class ViewerMarks:
    """What one viewer has done to a set of videos, for card buttons."""

    liked: set[int] = field(default_factory=set)
    favorited: set[int] = field(default_factory=set)
    following: set[int] = field(default_factory=set)
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)


def viewer_marks(*, user_id: int | None, videos: list[ShortVideo]) -> ViewerMarks:
    """Likes, favourites, follows and resume points for these videos, in four queries."""
    if user_id is None or not videos:
        return ViewerMarks()
    ids = [v.pk for v in videos]
    creators = {v.creator_id for v in videos}
    states = WatchState.objects.filter(user_id=user_id, video_id__in=ids)
    return ViewerMarks(
        liked=set(
            Like.objects.filter(user_id=user_id, video_id__in=ids).values_list(
                "video_id", flat=True
            )
        ),
        favorited=set(
            Favorite.objects.filter(user_id=user_id, video_id__in=ids).values_list(
                "video_id", flat=True
            )
        ),
        following=followed_creator_ids(user_id=user_id, among=creators),
        positions={s.video_id: (s.position_seconds, s.playback_rate) for s in states},
    )


def comment_list(*, video_id: int) -> list[Comment]:
    """Top-level comments of a video, newest first, each with its replies (oldest first)."""
    replies = (
        Comment.objects.filter(is_removed=False).select_related("author").order_by("created_at")
    )
    return list(
        Comment.objects.filter(video_id=video_id, parent__isnull=True, is_removed=False)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("-created_at")[:200]
    )


def liked_videos(*, user_id: int) -> QuerySet[ShortVideo]:
    return video_list_published().filter(likes__user_id=user_id).order_by("-likes__created_at")


def favorite_videos(*, user_id: int) -> QuerySet[ShortVideo]:
    return (
        video_list_published().filter(favorites__user_id=user_id).order_by("-favorites__created_at")
    )


def watch_history(*, user_id: int) -> QuerySet[ShortVideo]:
    return (
        video_list_published()
        .filter(watch_states__user_id=user_id)
        .order_by("-watch_states__updated_at")
    )


def purchased_courses(*, user_id: int) -> QuerySet[Course]:
    return course_list_published().filter(enrollments__user_id=user_id, enrollments__is_active=True)


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    percent: int
    next_lesson: Lesson | None
    certificate_code: str | None = None  # set once every lesson is complete


def course_progress(*, user_id: int, courses: list[Course]) -> list[CourseProgress]:
    """Percent complete, the lesson to continue with and the certificate, per course,
    in three queries."""
    course_ids = [c.pk for c in courses]
    lessons = list(
        Lesson.objects.filter(course_id__in=course_ids, moderation=Moderation.APPROVED).order_by(
            "section__position", "section_id", "position", "id"
        )
    )
    done = dict(
        LessonProgress.objects.filter(user_id=user_id, course_id__in=course_ids).values_list(
            "lesson_id", "completed_at"
        )
    )
    certificates = dict(
        Certificate.objects.filter(user_id=user_id, course_id__in=course_ids).values_list(
            "course_id", "code"
        )
    )
    result = []
    for course in courses:
        own = [lesson for lesson in lessons if lesson.course_id == course.pk]
        completed = sum(1 for lesson in own if done.get(lesson.pk))
        upcoming = next((lesson for lesson in own if not done.get(lesson.pk)), None)
        percent = round(100 * completed / len(own)) if own else 0
        result.append(
            CourseProgress(
                course=course,
                percent=percent,
                next_lesson=upcoming,
                certificate_code=certificates.get(course.pk),
            )
        )
    return result


def certificate_get(*, code: str) -> Certificate | None:
    return (
        Certificate.objects.filter(code=code.upper())
        .select_related("course__creator", "course__category")
        .first()
    )


def continue_learning(*, user_id: int, limit: int = 4) -> list[CourseProgress]:
    """Courses the viewer studied most recently and has not finished."""
    recent = (
        LessonProgress.objects.filter(user_id=user_id)
        .order_by("-updated_at")
        .values_list("course_id", flat=True)[:50]
    )
    order = list(dict.fromkeys(recent))[: limit * 2]
    courses = {c.pk: c for c in course_list_published().filter(pk__in=order)}
    progress = course_progress(user_id=user_id, courses=[courses[i] for i in order if i in courses])
    return [p for p in progress if p.percent < 100][:limit]


def lesson_progress_for(*, user_id: int, lesson_id: int) -> LessonProgress | None:
    return LessonProgress.objects.filter(user_id=user_id, lesson_id=lesson_id).first()


def lesson_playback_rate(*, user_id: int, course_id: int) -> float:
    """The speed the student last chose in this course (1 before any)."""
    latest = (
        LessonProgress.objects.filter(user_id=user_id, course_id=course_id)
        .order_by("-updated_at")
        .values_list("playback_rate", flat=True)
        .first()
    )
    return latest or 1.0


def review_list(*, course_id: int) -> QuerySet[Review]:
    return (
        Review.objects.filter(course_id=course_id).select_related("author").order_by("-created_at")
    )


def lesson_after(*, lesson: Lesson) -> Lesson | None:
    """The next lesson of the course in syllabus order, across sections."""
    ordered = list(
        Lesson.objects.filter(course_id=lesson.course_id, moderation=Moderation.APPROVED)
        .order_by("section__position", "section_id", "position", "id")
        .values_list("pk", flat=True)
    )
    if lesson.pk not in ordered:  # held back for review: no place in the syllabus yet
        return None
    index = ordered.index(lesson.pk)
    return (
        Lesson.objects.filter(pk=ordered[index + 1]).first() if index + 1 < len(ordered) else None
    )
