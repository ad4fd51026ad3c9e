"""Privacy: a viewer downloads everything kept about them, and deletes their account."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import CreatorProfile, Follow, Notification, User
from accounts.services import follow_create, user_create
from analytics.models import Event, Subject
from analytics.services import event_record, subject_key_for_user
from commerce.models import EarningEntry, Order, Payment, Payout, Refund
from common.exceptions import ApplicationError
from courses.engagement import (
    DELETED_COMMENT_BODY,
    comment_create,
    favorite_set,
    lesson_progress_save,
    like_set,
    not_interested_mark,
    report_create,
    review_upsert,
    watch_state_save,
)
from courses.models import (
    Certificate,
    Comment,
    Course,
    Favorite,
    LessonProgress,
    Like,
    MediaAsset,
    NotInterested,
    Report,
    Review,
    ShortVideo,
    WatchState,
)
from courses.services import enrollment_grant
from me.privacy import CHUNK_ROWS, account_delete, export_sections, export_stream
from recommendations.models import ModelVersion, UserRecommendation
from tests.conftest import password_login
from tests.factories import (
    CourseFactory,
    CreatorProfileFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

PASSWORD = "pass-word-123"
OUR_APPS = {
    "accounts",
    "analytics",
    "courses",
    "commerce",
    "recommendations",
    "studio",
    "common",
    "kfplatform",
}


@dataclass
class World:
    viewer: User
    other: User
    creator: User
    staff: User
    videos: list[ShortVideo]
    course: Course
    order: Order
    answered_comment: Comment
    other_comment: Comment


def _paid_order(user: User, course: Course, staff: User) -> Order:
    """A paid order with its payment, a denied refund request and the enrollment."""
    order = Order.objects.create(
        user=user,
        course=course,
        status=Order.Status.PAID,
        list_price_minor=course.price_minor,
        amount_minor=course.price_minor,
        paid_at=timezone.now(),
    )
    Payment.objects.create(
        order=order,
        provider="sandbox",
        status=Payment.Status.CAPTURED,
        amount_minor=order.amount_minor,
        captured_minor=order.amount_minor,
        currency="CNY",
        idempotency_key=f"{order.number}:charge",
    )
    Refund.objects.create(
        order=order,
        amount_minor=100,
        status=Refund.Status.DENIED,
        reason="my reason for a refund",
        provider="sandbox",
        decided_by=staff,
    )
    enrollment_grant(user_id=user.pk, course=course)
    return order


@pytest.fixture
def world(db: Any) -> World:
    """A viewer who did a bit of everything, and another viewer who did the same."""
    creator = CreatorProfileFactory.create().user
    staff = UserFactory.create(is_staff=True)
    viewer = UserFactory.create(display_name="Xiao Ming", interests=["python"], first_name="Ming")
    other = UserFactory.create()
    CreatorProfileFactory.create(user=viewer, bio="my bio")  # a creator with nothing published
    videos = ShortVideoFactory.create_batch(2, creator=creator)
    course = CourseFactory.create(creator=creator, price_minor=4900)
    lesson = LessonFactory.create(section__course=course)
    order = _paid_order(viewer, course, staff)
    _paid_order(other, course, staff)
    for person in (viewer, other):
        for video in videos:
            like_set(user_id=person.pk, video=video, liked=True)
        favorite_set(user_id=person.pk, video=videos[0], favorited=True)
        watch_state_save(user_id=person.pk, video=videos[0], position_seconds=1, playback_rate=1)
        follow_create(follower_id=person.pk, creator_id=creator.pk)
        lesson_progress_save(
            user_id=person.pk, lesson=lesson, position_seconds=5, watched_seconds=5
        )
        Certificate.objects.create(user=person, course=course, learner_name=person.public_name)
        report_create(reporter_id=person.pk, reason="spam", details="spam!", video=videos[1])
    follow_create(follower_id=other.pk, creator_id=viewer.pk)
    not_interested_mark(user_id=viewer.pk, video=videos[1])
    review_upsert(author_id=viewer.pk, course=course, rating=1, body="viewer review")
    review_upsert(author_id=other.pk, course=course, rating=5, body="other review")
    comment_create(author_id=viewer.pk, video=videos[0], body="viewer comment alone")
    answered = comment_create(author_id=viewer.pk, video=videos[0], body="viewer comment answered")
    comment_create(author_id=other.pk, video=videos[0], body="other reply", parent_id=answered.pk)
    other_comment = comment_create(author_id=other.pk, video=videos[1], body="other comment")
    comment_create(
        author_id=viewer.pk, video=videos[1], body="viewer reply", parent_id=other_comment.pk
    )
    version = ModelVersion.objects.create(algorithm="als_v1", status=ModelVersion.Status.ACTIVE)
    for person in (viewer, other):
        UserRecommendation.objects.create(version=version, user_id=person.pk, items=[["v1", 1.0]])
    return World(viewer, other, creator, staff, videos, course, order, answered, other_comment)


def _export(client: Client, url: str = "/me/export/") -> tuple[Any, dict[str, Any], str]:
    response = client.get(url)
    assert response.status_code == 200
    text = response.getvalue().decode()
    return response, json.loads(text), text


def _counters(world: World) -> dict[str, Any]:
    videos = ShortVideo.objects.filter(pk__in=[v.pk for v in world.videos]).order_by("pk")
    course = Course.objects.get(pk=world.course.pk)
    return {
        "likes": [v.like_count for v in videos],
        "favorites": [v.favorite_count for v in videos],
        "comments": [v.comment_count for v in videos],
        "shares": [v.share_count for v in videos],
        "rating": (course.rating_sum, course.rating_count),
        "enrollments": course.enrollment_count,
        "followers": CreatorProfile.objects.get(user=world.creator).follower_count,
    }


# --- Export --------------------------------------------------------------------


def test_export_has_every_section_with_the_viewers_rows_and_events_only(world: World) -> None:
    # given the viewer, logged in
    client = Client()
    client.force_login(world.viewer)
    # when they download their data
    response, data, text = _export(client)
    # then it is a JSON file named for them and today
    assert response.streaming
    assert response["Content-Type"].startswith("application/json")
    day = timezone.localdate().isoformat()
    filename = f"kfplatform-export-{world.viewer.username}-{day}.json"
    assert filename in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    sections = data["sections"]
    assert set(sections) == {s.label for s in export_sections()} | {"analytics.Event"}
    # every section with personal data has the viewer's rows
    for label in (
        "accounts.User",
        "accounts.CreatorProfile",
        "analytics.Subject",
        "courses.Comment",
        "courses.Review",
        "courses.Report",
        "commerce.Refund",
    ):
        assert sections[label], label
    assert sections["accounts.User"][0]["display_name"] == "Xiao Ming"
    assert "password" not in sections["accounts.User"][0]
    assert sections["commerce.Refund"][0]["reason"] == "my reason for a refund"
    assert {c["body"] for c in sections["courses.Comment"]} == {
        "viewer comment alone",
        "viewer comment answered",
        "viewer reply",
    }
    assert [o["number"] for o in sections["commerce.Order"]] == [world.order.number]
    assert len(sections["courses.Like"]) == 2
    # who they follow, not who follows them (that is the followers' data)
    assert [f["creator_id"] for f in sections["accounts.Follow"]] == [world.creator.pk]
    # the notifications they received (a reply, a follower), not those they caused
    assert sorted(n["kind"] for n in sections["accounts.Notification"]) == [
        "comment_reply",
        "new_follower",
    ]
    assert {n["recipient_id"] for n in sections["accounts.Notification"]} == {world.viewer.pk}
    # and nothing of anyone else: rows, follows of them, refunds decided by staff
    viewer_id = world.viewer.pk
    for label, rows in sections.items():
        for row in rows:
            if label == "analytics.Event":
                continue
            owner = {k: v for k, v in row.items() if k in {"user_id", "author_id", "reporter_id"}}
            assert all(v == viewer_id for v in owner.values()), (label, row)
    assert [u["id"] for u in sections["accounts.User"]] == [viewer_id]
    assert "other review" not in text
    assert "other comment" not in text
    # the events carry the viewer's pseudonym, all of them and only them
    key = Subject.objects.get(user_id=viewer_id).key
    assert sections["analytics.Subject"][0]["key"] == key
    events = sections["analytics.Event"]
    assert events
    assert {e["subject_id"] for e in events} == {key}
    assert len(events) == Event.objects.filter(subject_id=key).count()
    assert events[0]["ts"].endswith("Z")  # ISO 8601 times


def test_staff_export_leaves_out_refunds_they_decided(world: World) -> None:
    # given the staff member who denied two buyers' refunds
    client = Client()
    client.force_login(world.staff)
    # when they export their data
    _, data, text = _export(client)
    # then the buyers' refunds (and their reasons) are not theirs to download
    assert data["sections"]["commerce.Refund"] == []
    assert "my reason for a refund" not in text


def test_export_api_streams_the_same_document(world: World) -> None:
    # given the API, anonymous then logged in
    client = APIClient()
    assert client.get("/api/v1/me/export").status_code == 403
    client.force_authenticate(world.viewer)
    # when the viewer asks for the export
    response = client.get("/api/v1/me/export")
    # then it is the same streamed document
    assert response.status_code == 200
    data = json.loads(response.getvalue())
    assert data["format"] == "kfplatform-export/1"
    assert data["user_id"] == world.viewer.pk
    assert data["sections"]["courses.Review"][0]["body"] == "viewer review"


def test_export_needs_a_login(client: Client, db: Any) -> None:
    response = client.get("/me/export/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _points_to_a_user(model: type[models.Model]) -> bool:
    user_model = get_user_model()
    return model is user_model or any(
        (f.is_relation and f.related_model is user_model) or f.name == "user_id"
        for f in model._meta.concrete_fields
    )


def test_every_pii_model_that_points_to_a_user_is_an_export_section() -> None:
    # given the real model registry
    labels = {s.label for s in export_sections()}
    pii = [
        m
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and ".. pii:" in (m.__doc__ or "")
    ]
    assert len(pii) >= 7
    for model in pii:
        concrete = model._meta.concrete_model
        assert concrete is not None
        # then each one that points to a user (directly or as a proxy) has a section
        if _points_to_a_user(concrete):
            assert concrete._meta.label in labels, model._meta.label
        # and every model with personal data can be traced to its person
        assert concrete._meta.label in labels, f"{model._meta.label}: no way to its user"


def test_a_new_pii_model_with_a_user_foreign_key_is_exported_without_listing_it() -> None:
    # given someone adds a model with personal data and a user foreign key
    model = type(
        "PrivacyProbe",
        (models.Model,),
        {
            "__module__": "me.models",
            "__doc__": "A test-only model.\n\n.. pii: a note the person wrote.",
            "author": models.ForeignKey(
                settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
            ),
            "note": models.TextField(),
            "Meta": type("Meta", (), {"app_label": "me"}),
        },
    )
    try:
        # then the export has a section for it, owned through that key
        section = next(s for s in export_sections() if s.model is model)
        assert section.owner_paths == ("author",)
        assert section.fields == ("id", "author_id", "note")
        assert section.has_pii
    finally:
        del apps.all_models["me"]["privacyprobe"]
        apps.clear_cache()


# --- Deletion ------------------------------------------------------------------


def test_delete_removes_activity_keeps_money_and_counters_stay_right(world: World) -> None:
    # given the counters before, with the viewer's share of each
    before = _counters(world)
    key = subject_key_for_user(user_id=world.viewer.pk)
    paid = Event.objects.create(
        subject_id=key,
        type=Event.Type.PURCHASE,
        ts=timezone.now(),
        course_id=world.order.course_id,
        props={"order": world.order.number, "full": True},
    )
    events = Event.objects.filter(subject_id=key).count()
    viewer = world.viewer.pk
    # when the account is deleted
    counts = account_delete(user_id=viewer)
    # then the person is gone from the user row
    user = User.objects.get(pk=viewer)
    assert user.username == f"deleted-{viewer}"
    assert (user.email, user.first_name, user.last_name, user.display_name) == ("", "", "", "")
    assert (user.interests, user.language, user.last_login) == ([], "", None)
    assert not user.is_active
    assert not user.is_staff
    assert not user.has_usable_password()
    # and every kind of activity is deleted
    for model, owner in (
        (Like, "user"),
        (Favorite, "user"),
        (WatchState, "user"),
        (NotInterested, "user"),
        (LessonProgress, "user"),
        (Certificate, "user"),
        (Review, "author"),
        (Report, "reporter"),
        (CreatorProfile, "user"),
    ):
        assert not model.objects.filter(**{owner: viewer}).exists(), model
    assert not Follow.objects.filter(follower=viewer).exists()
    assert not Follow.objects.filter(creator=viewer).exists()
    assert not UserRecommendation.objects.filter(user_id=viewer).exists()
    assert UserRecommendation.objects.filter(user_id=world.other.pk).exists()
    # notifications they received (a reply, a follower) and caused (a reply, a follow)
    assert not Notification.objects.filter(recipient=viewer).exists()
    assert not Notification.objects.filter(actor=viewer).exists()
    assert counts["notifications"] == 4
    assert Notification.objects.filter(recipient=world.creator, actor=world.other).exists()
    # the comment others replied to stays as a marker, their reply under it
    assert list(Comment.objects.filter(author=viewer).values_list("body", flat=True)) == [
        DELETED_COMMENT_BODY
    ]
    assert Comment.objects.filter(parent=world.answered_comment, author=world.other).exists()
    assert Comment.objects.filter(pk=world.other_comment.pk).exists()
    assert counts["comments"] == 2
    assert counts["comments_blanked"] == 1
    # the mapping is gone, the events stay, pointing to no one: not even through the
    # kept order's number
    assert not Subject.objects.filter(user_id=viewer).exists()
    assert Event.objects.filter(subject_id=key).count() == events - 1
    paid.refresh_from_db()
    assert paid.props == {"full": True}
    assert (
        paid.subject_id != key
    )  # a purchase leaves the history (tests/security/test_forgetting.py)
    # money records and enrollments are kept
    assert Order.objects.filter(pk=world.order.pk, user=viewer).exists()
    assert Payment.objects.filter(order=world.order).exists()
    assert Refund.objects.filter(order=world.order).exists()
    assert user.enrollments.filter(course=world.course, is_active=True).exists()
    # and every counter lost exactly the viewer's share
    after = _counters(world)
    assert after["likes"] == [n - 1 for n in before["likes"]]
    assert after["favorites"] == [before["favorites"][0] - 1, before["favorites"][1]]
    # video 0: one comment deleted, the answered one kept as a marker; video 1: a reply
    assert after["comments"] == [before["comments"][0] - 1, before["comments"][1] - 1]
    assert after["comments"] == [
        Comment.objects.filter(video=v, is_removed=False).count() for v in world.videos
    ]
    assert before["rating"] == (6, 2)
    assert after["rating"] == (5, 1)
    assert after["followers"] == before["followers"] - 1
    assert after["shares"] == before["shares"]
    assert after["enrollments"] == before["enrollments"]
    # and the other viewer's data is untouched
    assert Like.objects.filter(user=world.other).count() == 2
    assert Review.objects.filter(author=world.other).exists()


def test_a_second_deletion_changes_nothing(world: World) -> None:
    # given a deleted account
    account_delete(user_id=world.viewer.pk)
    fields = ("username", "email", "display_name", "is_active", "last_login", "interests")
    before = (_counters(world), User.objects.filter(pk=world.viewer.pk).values(*fields).get())
    # when deletion runs again
    counts = account_delete(user_id=world.viewer.pk)
    # then nothing more is deleted and nothing moves
    assert set(counts.values()) == {0}
    after = (_counters(world), User.objects.filter(pk=world.viewer.pk).values(*fields).get())
    assert after == before
    assert Comment.objects.filter(author=world.viewer, body=DELETED_COMMENT_BODY).count() == 1


def test_the_page_deletes_on_the_password_and_logs_out_every_session(world: World) -> None:
    # given the viewer logged in on two devices
    phone, laptop = Client(), Client()
    assert password_login(phone, world.viewer.username, PASSWORD)
    assert password_login(laptop, world.viewer.username, PASSWORD)
    page = phone.get("/me/delete/")
    assert page.status_code == 200
    assert "What is kept" in page.content.decode()
    # when they confirm with their password on the phone
    response = phone.post("/me/delete/", {"password": PASSWORD}, follow=True)
    # then they land home, told it is done, logged out
    assert response.redirect_chain == [("/", 302)]
    assert "Your account is deleted" in response.content.decode()
    assert "_auth_user_id" not in phone.session
    # and the laptop's session no longer works either
    me = laptop.get("/me/")
    assert me.status_code == 302
    assert "/accounts/login/" in me["Location"]
    assert laptop.get("/api/v1/me/export").status_code == 403
    # and nobody logs in with the old name or password again
    assert not password_login(Client(), world.viewer.username, PASSWORD)
    assert not password_login(Client(), f"deleted-{world.viewer.pk}", PASSWORD)


def test_a_wrong_password_is_a_form_error_and_nothing_changes(world: World) -> None:
    # given the viewer on the delete page
    client = Client()
    client.force_login(world.viewer)
    likes = Like.objects.filter(user=world.viewer).count()
    # when they type a wrong password
    response = client.post("/me/delete/", {"password": "not-my-password"})
    # then the form says so and nothing happened
    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    world.viewer.refresh_from_db()
    assert world.viewer.is_active
    assert world.viewer.email
    assert Like.objects.filter(user=world.viewer).count() == likes
    assert Subject.objects.filter(user_id=world.viewer.pk).exists()
    assert client.get("/me/").status_code == 200


def test_a_creator_with_published_work_is_refused_and_nothing_changes(world: World) -> None:
    # given a creator with a published video, logged in
    client = Client()
    assert password_login(client, world.creator.username, PASSWORD)
    # when they open the page, then it says why and offers no form
    page = client.get("/me/delete/").content.decode()
    assert "unpublish them in the studio first" in page
    assert 'name="password"' not in page
    # when they post the right password anyway, then nothing happens
    response = client.post("/me/delete/", {"password": PASSWORD})
    assert response.status_code == 200
    world.creator.refresh_from_db()
    assert world.creator.is_active
    assert CreatorProfile.objects.filter(user=world.creator).exists()
    assert ShortVideo.objects.filter(creator=world.creator).count() == 2
    # and the service refuses too
    with pytest.raises(ApplicationError) as refused:
        account_delete(user_id=world.creator.pk)
    assert refused.value.code == "account_delete_blocked"
    assert len(refused.value.extra["reasons"]) == 2  # published, and courses with buyers


@pytest.mark.parametrize("tie", ["students", "unpaid_earnings", "pending_payout"])
def test_a_creator_tied_by_students_or_money_must_contact_support(db: Any, tie: str) -> None:
    # given a creator with nothing published, but students or money still open
    creator = CreatorProfileFactory.create().user
    course = CourseFactory.create(creator=creator, status="unpublished")
    if tie == "students":
        enrollment_grant(user_id=UserFactory.create().pk, course=course)
    elif tie == "pending_payout":
        Payout.objects.create(creator=creator, amount_minor=100)
    else:
        order = _paid_order(UserFactory.create(), CourseFactory.create(), UserFactory.create())
        EarningEntry.objects.create(
            creator=creator,
            order=order,
            kind="sale",
            gross_minor=100,
            fee_minor=30,
            net_minor=70,
            currency="CNY",
            available_at=timezone.now(),
        )
    # when they try to delete their account, then they are told to contact support
    with pytest.raises(ApplicationError, match="contact support"):
        account_delete(user_id=creator.pk)
    assert Course.objects.filter(pk=course.pk).exists()
    assert User.objects.get(pk=creator.pk).is_active


def test_a_creator_with_only_drafts_deletes_them_and_their_uploads(db: Any) -> None:
    # given a creator whose video and course (with a lesson) are drafts
    creator = CreatorProfileFactory.create().user
    video = ShortVideoFactory.create(creator=creator, status="draft", published_at=None)
    lesson = LessonFactory.create(section__course__creator=creator, section__course__status="draft")
    # when they delete their account
    counts = account_delete(user_id=creator.pk)
    # then the drafts, the creator page and the uploads nothing uses any more are gone
    assert counts["draft_videos"] == 1
    assert counts["draft_courses"] == 1
    assert not ShortVideo.objects.filter(pk=video.pk).exists()
    assert not Course.objects.filter(pk=lesson.course_id).exists()
    assert not CreatorProfile.objects.filter(user=creator).exists()
    assert not MediaAsset.objects.filter(pk__in=[video.asset_id, lesson.asset_id]).exists()
    assert counts["media_assets"] == 2


def _active_viewer(likes: int) -> User:
    viewer = UserFactory.create()
    creator = CreatorProfileFactory.create().user
    follow_create(follower_id=viewer.pk, creator_id=creator.pk)
    for video in ShortVideoFactory.create_batch(likes, creator=creator):
        like_set(user_id=viewer.pk, video=video, liked=True)
        favorite_set(user_id=viewer.pk, video=video, favorited=True)
        watch_state_save(user_id=viewer.pk, video=video, position_seconds=1, playback_rate=1)
        comment_create(author_id=viewer.pk, video=video, body="hello")
    return viewer


def test_deletion_queries_do_not_grow_with_the_number_of_likes(db: Any) -> None:
    # given a light and a heavy viewer
    light, heavy = _active_viewer(2), _active_viewer(25)
    # when each is deleted
    with CaptureQueriesContext(connection) as few:
        account_delete(user_id=light.pk)
    with CaptureQueriesContext(connection) as many:
        account_delete(user_id=heavy.pk)
    # then both take the same, small number of queries
    assert len(many) == len(few) <= 60
    assert not Like.objects.filter(user__in=[light, heavy]).exists()


def test_my_space_links_to_export_and_delete(client: Client, user: User) -> None:
    # given a logged-in viewer
    client.force_login(user)
    # when they open My space, then "Your data" links to both
    page = client.get("/me/").content.decode()
    assert 'id="your-data"' in page
    assert 'href="/me/export/"' in page
    assert 'href="/me/delete/"' in page


def test_deleted_account_names_are_reserved(db: Any, client: Client) -> None:
    # when someone tries to sign up as a deleted account, then it is refused
    with pytest.raises(ApplicationError):
        user_create(username="Deleted-7", email="x@example.com", password=PASSWORD)
    response = client.post(
        "/accounts/signup/",
        {
            "username": "deleted-8",
            "email": "y@example.com",
            "password1": "a-long-pass-981",
            "password2": "a-long-pass-981",
        },
    )
    assert response.status_code == 200
    assert "That username is reserved." in response.content.decode()
    assert not User.objects.filter(username="deleted-8").exists()


def test_events_recorded_after_deletion_do_not_relink_the_old_ones(world: World) -> None:
    # given a deleted account whose events stay under the old pseudonym
    old_key = subject_key_for_user(user_id=world.viewer.pk)
    account_delete(user_id=world.viewer.pk)
    # when a late server event arrives for the id (a webhook, say)
    event_record(type=Event.Type.LOGIN, user_id=world.viewer.pk)
    # then it gets a fresh pseudonym; the old history stays unlinked
    assert Subject.objects.get(user_id=world.viewer.pk).key != old_key


def test_the_delete_page_speaks_chinese(world: World) -> None:
    # given the viewer, in Chinese
    client = Client()
    client.force_login(world.viewer)
    # when they open the delete page and type a wrong password
    page = client.get("/me/delete/", headers={"accept-language": "zh-hans"}).content.decode()
    wrong = client.post(
        "/me/delete/", {"password": "nope"}, headers={"accept-language": "zh-hans"}
    ).content.decode()
    # then the explanation and the error are in Chinese
    assert "会删除的内容" in page
    assert "会保留的内容及原因" in page
    assert "密码不正确。" in wrong


def test_export_reads_each_section_once_however_many_events(user: User) -> None:
    # given a viewer with a few events, then with more than a chunk of them
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            data = json.loads("".join(export_stream(user_id=user.pk)))
        assert len(data["sections"]["analytics.Event"]) == Event.objects.count()
        return len(captured)

    for _ in range(3):
        event_record(type=Event.Type.LOGIN, user_id=user.pk)
    few = queries()
    key = subject_key_for_user(user_id=user.pk)
    now = timezone.now()
    Event.objects.bulk_create(
        Event(subject_id=key, type=Event.Type.PLAY, ts=now, video_id=1)
        for _ in range(CHUNK_ROWS + 5)
    )
    # then the number of queries does not grow with the rows
    assert queries() == few


def test_the_delete_form_stops_password_guessing(client, user: User) -> None:
    cache.clear()
    client.force_login(user)
    for _ in range(5):
        wrong = client.post("/me/delete/", {"password": "guess"})
        assert "That is not your password." in wrong.content.decode()
    # then even the right password waits
    blocked = client.post("/me/delete/", {"password": PASSWORD})
    assert "Too many tries" in blocked.content.decode()
    assert User.objects.get(pk=user.pk).is_active
