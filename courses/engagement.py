"""Writes for what viewers do with content: react, comment, report, learn.

Counters move with F() updates inside the same transaction as the row that
justifies them, and unique constraints decide races: a double click or two
tabs can never count twice. Re-exported from courses.services.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from accounts.selectors import user_public_name
from accounts.services import Kind, notification_create
from analytics.services import EventType, event_record, moments_mark_dirty
from common.cache import viewer_generation_bump
from common.exceptions import ApplicationError

from .models import (
    Certificate,
    Comment,
    Course,
    CourseSurvey,
    Enrollment,
    Favorite,
    Lesson,
    LessonProgress,
    Like,
    Moderation,
    NotInterested,
    Report,
    Review,
    ShortVideo,
    WatchState,
)
from .selectors import user_has_course_access

LESSON_COMPLETE_RATIO = 0.95
# What a deleted account's comment says when others' replies hang on it.
DELETED_COMMENT_BODY = "[deleted]"


def _event(type_: str, user_id: int, video: ShortVideo, **extra: object) -> None:
    """Record what the viewer did; their cached feed pages are now stale."""
    viewer_generation_bump(user_id)
    event_record(
        type=type_,
        user_id=user_id,
        video_id=video.pk,
        creator_id=video.creator_id,
        course_id=video.course_id,
        props=dict(extra),
    )


def like_set(*, user_id: int, video: ShortVideo, liked: bool) -> int:
    """Like or unlike; returns the video's like count. Repeating is harmless."""
    changed = _toggle(Like, user_id=user_id, video=video, on=liked, counter="like_count")
    if changed and liked:
        _event(EventType.LIKE, user_id, video)
    return ShortVideo.objects.values_list("like_count", flat=True).get(pk=video.pk)


def favorite_set(*, user_id: int, video: ShortVideo, favorited: bool) -> int:
    """Favourite or un-favourite; returns the video's favourite count."""
    changed = _toggle(
        Favorite, user_id=user_id, video=video, on=favorited, counter="favorite_count"
    )
    if changed and favorited:
        _event(EventType.FAVORITE, user_id, video)
    return ShortVideo.objects.values_list("favorite_count", flat=True).get(pk=video.pk)


def _toggle(
    model: type[Like] | type[Favorite], *, user_id: int, video: ShortVideo, on: bool, counter: str
) -> bool:
    """Create or delete the (user, video) row and move the counter with it."""
    try:
        with transaction.atomic():
            if on:
                model.objects.create(user_id=user_id, video=video)
                delta = 1
            else:
                deleted, _ = model.objects.filter(user_id=user_id, video=video).delete()
                if not deleted:
                    return False
                delta = -1
            ShortVideo.objects.filter(pk=video.pk).update(**{counter: F(counter) + delta})
    except IntegrityError:  # already liked: the unique constraint won the race
        return False
    return True


def share_record(*, user_id: int | None, video: ShortVideo, channel: str) -> int:
    """Count a share (copy link, …); returns the share count."""
    ShortVideo.objects.filter(pk=video.pk).update(share_count=F("share_count") + 1)
    if user_id is not None:
        _event(EventType.SHARE, user_id, video, channel=channel)
    return ShortVideo.objects.values_list("share_count", flat=True).get(pk=video.pk)


@transaction.atomic
def comment_create(
    *, author_id: int, video: ShortVideo, body: str, parent_id: int | None = None
) -> Comment:
    """Comment on a video, or reply to a top-level comment (one level deep)."""
    parent = answered = None
    if parent_id is not None:
        answered = Comment.objects.filter(pk=parent_id, video=video, is_removed=False).first()
        if answered is None:
            raise ApplicationError(
                gettext("That comment no longer exists."), code="parent_not_found", status=404
            )
        # A reply to a reply joins its thread, but it answers that reply's author.
        parent = answered.parent if answered.parent_id is not None else answered
    comment = Comment(author_id=author_id, video=video, parent=parent, body=body.strip())
    comment.full_clean()
    comment.save()
    ShortVideo.objects.filter(pk=video.pk).update(comment_count=F("comment_count") + 1)
    _event(EventType.COMMENT, author_id, video)
    if answered is not None:
        notification_create(
            recipient_id=answered.author_id,
            kind=Kind.COMMENT_REPLY,
            actor_id=author_id,
            video_id=video.pk,
            comment_id=comment.pk,
        )
    return comment


def _own_comment(*, comment_id: int, user_id: int) -> Comment:
    comment = Comment.objects.select_for_update().filter(pk=comment_id, is_removed=False).first()
    if comment is None:
        raise ApplicationError(gettext("No such comment."), code="not_found", status=404)
    if comment.author_id != user_id:
        raise ApplicationError(
            gettext("You can only change your own comments."), code="forbidden", status=403
        )
    return comment


@transaction.atomic
def comment_edit(*, comment_id: int, user_id: int, body: str) -> Comment:
    """Edit one's own comment; the page shows it as edited."""
    comment = _own_comment(comment_id=comment_id, user_id=user_id)
    comment.body = body.strip()
    comment.edited_at = timezone.now()
    comment.full_clean()
    comment.save(update_fields=["body", "edited_at", "updated_at"])
    return comment


@transaction.atomic
def comment_delete(*, comment_id: int, user_id: int) -> None:
    """Remove one's own comment (soft: replies keep their thread)."""
    comment = _own_comment(comment_id=comment_id, user_id=user_id)
    comment.is_removed = True
    comment.save(update_fields=["is_removed", "updated_at"])
    ShortVideo.objects.filter(pk=comment.video_id, comment_count__gt=0).update(
        comment_count=F("comment_count") - 1
    )


def report_create(
    *,
    reporter_id: int,
    reason: str,
    details: str = "",
    video: ShortVideo | None = None,
    comment: Comment | None = None,
) -> Report:
    """File a report for the moderation queue; reporting twice keeps the first."""
    report = Report(
        reporter_id=reporter_id,
        reason=reason,
        details=details.strip(),
        video=video,
        comment=comment,
    )
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        if video is not None:
            return Report.objects.get(reporter_id=reporter_id, video=video)
        return Report.objects.get(reporter_id=reporter_id, comment=comment)
    return report


def not_interested_mark(*, user_id: int, video: ShortVideo) -> None:
    """Hide a video from this viewer's feeds; the recommender reads it as negative."""
    _, created = NotInterested.objects.get_or_create(user_id=user_id, video=video)
    if created:
        _event(EventType.NOT_INTERESTED, user_id, video)


def watch_state_save(
    *, user_id: int, video: ShortVideo, position_seconds: float, playback_rate: float
) -> WatchState:
    """Remember where a viewer is in a video and at what speed, across devices."""
    position = min(max(position_seconds, 0.0), video.duration_seconds or position_seconds)
    state, _ = WatchState.objects.update_or_create(
        user_id=user_id,
        video=video,
        defaults={
            "position_seconds": position,
            "playback_rate": playback_rate,
            "updated_at": timezone.now(),
        },
    )
    return state


def watch_history_clear(*, user_id: int) -> int:
    """Forget a viewer's watch history; returns how many entries went."""
    deleted, _ = WatchState.objects.filter(user_id=user_id).delete()
    return deleted


@transaction.atomic
def lesson_progress_save(
    *,
    user_id: int,
    lesson: Lesson,
    position_seconds: float,
    watched_seconds: float,
    playback_rate: float | None = None,
) -> LessonProgress:
    """Save a student's place (and speed) in a lesson; it counts complete at 95% watched.

    Watched seconds only grow (a rewind does not undo learning) and never
    exceed the lesson's length.
    """
    length = float(lesson.duration_seconds or 0)
    progress, _ = LessonProgress.objects.select_for_update().get_or_create(
        user_id=user_id, lesson=lesson, defaults={"course_id": lesson.course_id}
    )
    progress.position_seconds = min(max(position_seconds, 0.0), length or position_seconds)
    progress.watched_seconds = max(
        progress.watched_seconds, min(max(watched_seconds, 0.0), length or watched_seconds)
    )
    if playback_rate is not None:
        progress.playback_rate = min(max(playback_rate, 0.25), 4.0)
    newly_complete = (
        progress.completed_at is None
        and length > 0
        and progress.watched_seconds >= LESSON_COMPLETE_RATIO * length
    )
    if newly_complete:
        progress.completed_at = timezone.now()
    progress.save()
    if newly_complete:
        event_record(
            type=EventType.LESSON_COMPLETE,
            user_id=user_id,
            course_id=lesson.course_id,
            props={"lesson_id": lesson.pk},
        )
    if progress.completed_at is not None:
        certificate_issue_if_done(user_id=user_id, course_id=lesson.course_id)
    return progress


def certificate_issue_if_done(*, user_id: int, course_id: int) -> Certificate | None:
    """Issue the course's certificate to a student who completed every lesson.

    Checked whenever a completed lesson is saved (so a student who finished
    before certificates existed gets one on their next visit) and after a
    creator removes a lesson (``certificates_issue_for_course``). Only an
    active student is certified: free previews alone never are, and a refund
    revokes the certificate with the access. The enrollment row is locked
    first, so two last lessons completed at once cannot each miss the other.
    """
    if Certificate.objects.filter(user_id=user_id, course_id=course_id).exists():
        return None
    enrolled = Enrollment.objects.select_for_update().filter(
        user_id=user_id, course_id=course_id, is_active=True
    )
    if not enrolled.exists():
        return None
    # Lessons held back for review are not the course yet (``courses.visibility``).
    lessons = Lesson.objects.filter(course_id=course_id, moderation=Moderation.APPROVED).count()
    done = LessonProgress.objects.filter(
        user_id=user_id,
        course_id=course_id,
        completed_at__isnull=False,
        lesson__moderation=Moderation.APPROVED,
    ).count()
    if lessons == 0 or done < lessons:
        return None
    name = user_public_name(user_id=user_id)
    certificate, _ = Certificate.objects.get_or_create(
        user_id=user_id, course_id=course_id, defaults={"learner_name": name}
    )
    return certificate


def certificates_issue_for_course(*, course_id: int) -> int:
    """Certify the students who have now completed every lesson (a lesson was removed)."""
    lessons = Lesson.objects.filter(course_id=course_id, moderation=Moderation.APPROVED).count()
    finished = (
        LessonProgress.objects.filter(
            course_id=course_id, completed_at__isnull=False, lesson__moderation=Moderation.APPROVED
        )
        .values("user_id")
        .annotate(done=Count("lesson_id", distinct=True))
        .filter(done__gte=lessons)
        .exclude(user__certificates__course_id=course_id)
        .values_list("user_id", flat=True)
    )
    issued = [certificate_issue_if_done(user_id=u, course_id=course_id) for u in finished]
    return sum(1 for c in issued if c is not None)


@transaction.atomic
def review_upsert(*, author_id: int, course: Course, rating: int, body: str = "") -> Review:
    """Rate a course you own; one review per buyer, editable. Keeps the average exact."""
    if course.creator_id == author_id or not user_has_course_access(
        user_id=author_id, course=course
    ):
        raise ApplicationError(
            gettext("Only students of this course can review it."), code="not_a_student", status=403
        )
    # The course row is the lock: two first reviews by one student arriving together
    # would both find no review and both insert (the unique index would make one a 500).
    Course.objects.select_for_update().only("pk").get(pk=course.pk)
    review = Review.objects.filter(course=course, author_id=author_id).first()
    old_rating = review.rating if review else 0
    if review is not None:  # the rating counts on the day the review was first written
        moments_mark_dirty(moments=[review.created_at])
    review = review or Review(course=course, author_id=author_id)
    review.rating, review.body = rating, body.strip()
    review.full_clean(validate_constraints=False)
    review.save()
    event_record(
        type=EventType.REVIEW,
        user_id=author_id,
        course_id=course.pk,
        creator_id=course.creator_id,
        value=rating,
        props={"edited": old_rating != 0},
    )
    Course.objects.filter(pk=course.pk).update(
        rating_sum=F("rating_sum") + rating - old_rating,
        rating_count=F("rating_count") + (0 if old_rating else 1),
    )
    return review


# --- Account deletion (called by me.privacy.account_delete) ----------


@transaction.atomic
def engagement_user_retire(*, user_id: int) -> dict[str, int]:
    """Remove what a person did with content, keeping every counter exact.

    Likes, favourites, "not interested" marks, watch states, lesson
    progress, completion certificates (they print the person's name),
    reviews, the reports they filed and their comments go; survey answers
    stay without their user (``CourseSurvey``). A top-level comment that others replied to stays in its thread with its
    body replaced by ``[deleted]``: deleting it would take their replies
    with it (``Comment.parent`` cascades). Counters are corrected before
    the rows go, one statement per counter whatever the number of rows.
    Shares are not rows (share_count counts share events), so they stay.
    Safe to repeat.

    Returns:
        Rows deleted (or, for ``comments_blanked``, blanked) per kind.
    """
    counts = {
        "likes": _reactions_retire(Like.objects.filter(user_id=user_id), "like_count"),
        "favorites": _reactions_retire(Favorite.objects.filter(user_id=user_id), "favorite_count"),
        "reviews": _reviews_retire(user_id),
        # answers stay, anonymous, so a course's NPS does not move (CourseSurvey)
        "surveys_anonymised": CourseSurvey.objects.filter(user_id=user_id).update(user=None),
        **_comments_retire(user_id),
    }
    for name, rows in (
        ("not_interested", NotInterested.objects.filter(user_id=user_id)),
        ("watch_states", WatchState.objects.filter(user_id=user_id)),
        ("lesson_progress", LessonProgress.objects.filter(user_id=user_id)),
        ("certificates", Certificate.objects.filter(user_id=user_id)),
        ("reports", Report.objects.filter(reporter_id=user_id)),
    ):
        counts[name], _ = rows.delete()
    return counts


def _reactions_retire(rows: QuerySet[Like] | QuerySet[Favorite], counter: str) -> int:
    """Take one off the counter of each video in ``rows`` (one per video), then delete."""
    ShortVideo.objects.filter(pk__in=rows.values("video_id"), **{f"{counter}__gt": 0}).update(
        **{counter: F(counter) - 1}
    )
    deleted, _ = rows.delete()
    return deleted


def _reviews_retire(user_id: int) -> int:
    """Recount the ratings of the courses the person reviewed without them, then delete."""
    mine = Review.objects.filter(author_id=user_id)
    # the satisfaction rollups of the days they were written lose them
    moments_mark_dirty(moments=mine.values_list("created_at", flat=True))
    others = (
        Review.objects.filter(course=OuterRef("pk"))
        .exclude(author_id=user_id)
        .order_by()
        .values("course")
    )
    Course.objects.filter(pk__in=mine.values("course_id")).update(
        rating_sum=Coalesce(Subquery(others.annotate(s=Sum("rating")).values("s")), 0),
        rating_count=Coalesce(Subquery(others.annotate(n=Count("pk")).values("n")), 0),
    )
    deleted, _ = mine.delete()
    return deleted


def _comments_retire(user_id: int) -> dict[str, int]:
    """Blank the person's comments that carry others' replies, delete the rest.

    ``comment_count`` counts comments not removed (replies included), as the
    demo data computes it; it is recounted for the videos the person
    commented on, without the comments about to go.
    """
    answered = Exists(
        Comment.objects.filter(parent=OuterRef("pk"), is_removed=False).exclude(author_id=user_id)
    )
    mine = Comment.objects.filter(author_id=user_id)
    doomed = mine.exclude(answered).values("pk")
    left = (
        Comment.objects.filter(video=OuterRef("pk"), is_removed=False)
        .exclude(pk__in=doomed)
        .exclude(parent__in=doomed)  # replies go with their parent
        .order_by()
        .values("video")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ShortVideo.objects.filter(pk__in=mine.values("video_id")).update(
        comment_count=Coalesce(Subquery(left), 0)
    )
    blanked = (
        mine.filter(answered)
        .exclude(body=DELETED_COMMENT_BODY)
        .update(body=DELETED_COMMENT_BODY, edited_at=None, updated_at=timezone.now())
    )
    deleted, _ = mine.exclude(answered).delete()
    return {"comments": deleted, "comments_blanked": blanked}
