"""In-app notifications: who hears about what, the inbox page and API, the unread count."""

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Notification, User
from accounts.notifications import (
    followers_notify,
    notification_create,
    notification_unread_count,
    notifications_user_retire,
    unread_count_key,
)
from accounts.services import follow_create, follow_delete
from commerce.gateways.sandbox import session_transition
from commerce.models import Order, Refund
from commerce.services import order_create, order_sync, refund_approve, refund_deny, refund_request
from common.cache import cache_get
from courses.engagement import comment_create
from courses.models import Moderation, ShortVideo
from studio.services import moderation_decide, publish
from tests.factories import (
    CourseFactory,
    CreatorProfileFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _inbox(user: User) -> list[tuple[str, int | None]]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", "actor_id")
    )


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- triggers ----------------------------------------------------------------


def test_a_reply_notifies_the_comment_author_but_not_someone_replying_to_themselves() -> None:
    # given a comment by the author
    author, replier = UserFactory.create(), UserFactory.create()
    video = ShortVideoFactory.create()
    comment = comment_create(author_id=author.pk, video=video, body="first")
    # when someone else replies, and the author replies to themselves
    reply = comment_create(author_id=replier.pk, video=video, body="re", parent_id=comment.pk)
    comment_create(author_id=author.pk, video=video, body="me again", parent_id=comment.pk)
    # then only the other person's reply is a notification, for the author
    assert _inbox(author) == [(Kind.COMMENT_REPLY, replier.pk)]
    notification = Notification.objects.get(recipient=author)
    assert (notification.video_id, notification.comment_id) == (video.pk, reply.pk)
    assert _inbox(replier) == []


def test_a_top_level_comment_notifies_nobody() -> None:
    comment_create(author_id=UserFactory.create().pk, video=ShortVideoFactory.create(), body="hi")
    assert not Notification.objects.exists()


def test_a_new_follower_notifies_the_creator() -> None:
    creator, fan = CreatorProfileFactory.create().user, UserFactory.create()
    follow_create(follower_id=fan.pk, creator_id=creator.pk)
    assert _inbox(creator) == [(Kind.NEW_FOLLOWER, fan.pk)]
    assert _inbox(fan) == []


def test_publishing_fans_out_to_followers_after_commit(django_capture_on_commit_callbacks) -> None:
    # given a creator with three followers and a draft video
    creator = CreatorProfileFactory.create().user
    fans = UserFactory.create_batch(3)
    stranger = UserFactory.create()
    for fan in fans:
        follow_create(follower_id=fan.pk, creator_id=creator.pk)
    video = ShortVideoFactory.create(creator=creator, status="draft", published_at=None)
    # when it is published
    with django_capture_on_commit_callbacks(execute=True):
        publish(item=video)
    # then every follower hears about it once, from the creator; nobody else does
    for fan in fans:
        assert _inbox(fan) == [(Kind.NEW_VIDEO, creator.pk)]
    assert _inbox(stranger) == []
    assert not Notification.objects.filter(recipient=creator, kind=Kind.NEW_VIDEO).exists()


def test_fan_out_writes_in_batches_and_a_second_run_adds_nothing() -> None:
    creator = CreatorProfileFactory.create().user
    for fan in UserFactory.create_batch(5):
        follow_create(follower_id=fan.pk, creator_id=creator.pk)
    course = CourseFactory.create(creator=creator)
    kwargs: dict[str, Any] = {"creator_id": creator.pk, "kind": Kind.NEW_COURSE}
    assert followers_notify(**kwargs, course_id=course.pk, batch_size=2) == 5
    assert followers_notify(**kwargs, course_id=course.pk, batch_size=2) == 0
    assert Notification.objects.filter(kind=Kind.NEW_COURSE, course_id=course.pk).count() == 5


def test_a_course_waiting_for_review_reaches_followers_when_approved(
    settings, django_capture_on_commit_callbacks
) -> None:
    # given moderation is required and a fan follows the creator
    settings.STUDIO_MODERATION_REQUIRED = True
    creator, fan = CreatorProfileFactory.create().user, UserFactory.create()
    follow_create(follower_id=fan.pk, creator_id=creator.pk)
    course = CourseFactory.create(
        creator=creator, status="draft", published_at=None, moderation=Moderation.PENDING
    )
    LessonFactory.create(section__course=course)
    # when it is published: it waits, and nobody hears yet
    with django_capture_on_commit_callbacks(execute=True):
        publish(item=course)
    assert _inbox(fan) == []
    # when an admin approves it
    with django_capture_on_commit_callbacks(execute=True):
        moderation_decide(item=course, approve=True)
    # then the creator hears it was approved, and the fan hears about the course
    assert _inbox(creator)[-1] == (Kind.MODERATION_APPROVED, None)
    assert _inbox(fan) == [(Kind.NEW_COURSE, creator.pk)]


def test_a_rejection_tells_the_creator_why() -> None:
    video = ShortVideoFactory.create()
    moderation_decide(item=video, approve=False, reason="The sound is missing.")
    notification = Notification.objects.get(recipient=video.creator)
    assert (notification.kind, notification.video_id) == (Kind.MODERATION_REJECTED, video.pk)
    assert notification.reason == "The sound is missing."
    video.refresh_from_db()
    assert video.moderation == Moderation.REJECTED


def _refund_requested(settings, buyer: User) -> Refund:
    settings.COMMERCE_SANDBOX_WEBHOOK_TRANSPORT = "inprocess"
    settings.COMMERCE_GATEWAY = "sandbox"
    settings.COMMERCE_REFUND_AUTO_APPROVE = False
    course = CourseFactory.create(price_minor=10000)
    LessonFactory.create(section__course=course)
    order = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert order is not None
    session_transition(order_number=order.number, status="paid", notify=False)
    order_sync(order_id=order.pk)
    refund = refund_request(user_id=buyer.pk, order_number=order.number)
    assert refund.status == Refund.Status.REQUESTED
    return refund


@pytest.mark.parametrize("approve", [True, False])
def test_a_refund_decision_notifies_the_buyer(settings, approve: bool) -> None:
    # given a buyer's refund request
    buyer, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    refund = _refund_requested(settings, buyer)
    # when staff decide
    if approve:
        refund_approve(refund_id=refund.pk, decided_by_id=staff.pk)
    else:
        refund_deny(refund_id=refund.pk, decided_by_id=staff.pk)
    # then the buyer hears it, about their order, without the staff member's name
    notification = Notification.objects.get(recipient=buyer)
    assert notification.kind == (Kind.REFUND_APPROVED if approve else Kind.REFUND_DENIED)
    assert notification.order_id == refund.order_id
    assert notification.actor_id is None
    assert not Notification.objects.filter(recipient=staff).exists()


def test_a_second_denial_adds_nothing(settings) -> None:
    buyer = UserFactory.create()
    refund = _refund_requested(settings, buyer)
    refund_deny(refund_id=refund.pk, decided_by_id=None)
    refund_deny(refund_id=refund.pk, decided_by_id=None)
    assert Notification.objects.filter(recipient=buyer).count() == 1


# --- the page ----------------------------------------------------------------


def _mixed(user: User, n: int) -> None:
    """``n`` notifications of every kind of target, each about its own row."""
    actor = CreatorProfileFactory.create().user
    for i in range(n):
        video, course = ShortVideoFactory.create(), CourseFactory.create()
        order = Order.objects.create(user=user, course=course, list_price_minor=1, amount_minor=1)
        kinds: list[dict[str, Any]] = [
            {"kind": Kind.COMMENT_REPLY, "actor_id": actor.pk, "video_id": video.pk},
            {"kind": Kind.NEW_COURSE, "actor_id": actor.pk, "course_id": course.pk},
            {"kind": Kind.REFUND_DENIED, "order_id": order.pk, "course_id": course.pk},
            {"kind": Kind.MODERATION_REJECTED, "video_id": video.pk, "reason": "blurry"},
            {"kind": Kind.NEW_FOLLOWER, "actor_id": actor.pk},
        ]
        notification_create(recipient_id=user.pk, **kinds[i % len(kinds)])


def _page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/me/notifications/").status_code == 200
    return len(queries)


def test_the_page_lists_with_links_and_reading_it_marks_nothing() -> None:
    # given a reply and a new video for the viewer
    viewer, replier = UserFactory.create(display_name="Viewer"), UserFactory.create()
    replier.display_name = "Lin"
    replier.save(update_fields=["display_name"])
    video = ShortVideoFactory.create(title="Guitar basics")
    comment = comment_create(author_id=viewer.pk, video=video, body="hi")
    comment_create(author_id=replier.pk, video=video, body="re", parent_id=comment.pk)
    # when the viewer opens the page
    html = _logged_in(viewer).get("/me/notifications/").content.decode()
    # then the row is worded, linked through the open view and marked unread
    notification = Notification.objects.get(recipient=viewer)
    assert "Lin replied to your comment on “Guitar basics”." in html
    assert f'href="/me/notifications/{notification.pk}/"' in html
    assert 'class="notification unread"' in html
    assert "Mark all as read" in html
    notification.refresh_from_db()
    assert notification.read_at is None


def test_opening_one_marks_it_read_and_goes_to_the_target() -> None:
    viewer = UserFactory.create()
    video = ShortVideoFactory.create()
    mine = notification_create(
        recipient_id=viewer.pk, kind=Kind.NEW_VIDEO, actor_id=video.creator_id, video_id=video.pk
    )
    other = notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
    assert mine is not None
    assert other is not None
    response = _logged_in(viewer).get(f"/me/notifications/{mine.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/v/{video.pk}/"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None
    assert other.read_at is None


def test_someone_elses_notification_is_not_found_and_stays_unread() -> None:
    owner, intruder = UserFactory.create(), UserFactory.create()
    notification = notification_create(recipient_id=owner.pk, kind=Kind.NEW_FOLLOWER)
    assert notification is not None
    response = _logged_in(intruder).get(f"/me/notifications/{notification.pk}/")
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_marks_only_mine() -> None:
    viewer, other = UserFactory.create(), UserFactory.create()
    for user in (viewer, viewer, other):
        notification_create(recipient_id=user.pk, kind=Kind.NEW_FOLLOWER)
    response = _logged_in(viewer).post("/me/notifications/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=viewer, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_the_page_needs_a_login(client: Client) -> None:
    response = client.get("/me/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_page_queries_do_not_grow_with_the_number_of_notifications() -> None:
    few_user, many_user = UserFactory.create(), UserFactory.create()
    _mixed(few_user, 5)
    _mixed(many_user, 50)
    few, many = _logged_in(few_user), _logged_in(many_user)
    # warm the unread count cache, then measure
    few.get("/me/notifications/")
    many.get("/me/notifications/")
    assert _page_queries(few) == _page_queries(many)
    # session, user, notifications (actors joined), videos, courses, orders, and which of
    # those videos and courses are still on the site
    assert _page_queries(many) <= 8


def test_the_page_shows_the_newest_fifty() -> None:
    viewer = UserFactory.create()
    for _ in range(55):
        notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
    html = _logged_in(viewer).get("/me/notifications/").content.decode()
    assert html.count('class="notification unread"') == 50


def test_the_page_speaks_chinese() -> None:
    viewer = UserFactory.create()
    video = ShortVideoFactory.create(title="吉他入门")
    moderation_decide(item=video, approve=False, reason="没有声音")
    notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER, actor_id=video.creator_id)
    headers = {"accept-language": "zh-hans"}
    html = _logged_in(viewer).get("/me/notifications/", headers=headers).content.decode()
    assert "通知" in html
    assert "全部标为已读" in html
    assert "关注了你" in html
    creator_html = (
        _logged_in(video.creator).get("/me/notifications/", headers=headers).content.decode()
    )
    assert "“吉他入门”未通过审核：没有声音" in creator_html


# --- the unread count ----------------------------------------------------------


def test_my_space_and_the_header_show_the_unread_count() -> None:
    viewer = UserFactory.create()
    for _ in range(3):
        notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
    html = _logged_in(viewer).get("/me/").content.decode()
    assert html.count("Notifications (3)") == 2  # header and My space


def test_the_count_is_recounted_after_each_change(django_capture_on_commit_callbacks) -> None:
    # given one notification, counted after commit
    viewer = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
    assert cache_get(unread_count_key(viewer.pk)) == 1
    client = _logged_in(viewer)
    assert "Notifications (1)" in client.get("/").content.decode()
    # a new one drops the cached count at once and recounts it after commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
        assert cache_get(unread_count_key(viewer.pk)) is None
    assert len(callbacks) == 1
    assert "Notifications (2)" in client.get("/").content.decode()
    # reading them all recounts it too
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/me/notifications/")
    assert cache_get(unread_count_key(viewer.pk)) == 0
    assert "Notifications (0)" in client.get("/").content.decode()


def test_the_header_never_queries_for_the_count(client: Client) -> None:
    # given a cold cache: the header shows the link without a number
    viewer = UserFactory.create()
    notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
    cache.clear()
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()
    assert ">Notifications</a>" in html
    assert not [q for q in queries if "accounts_notification" in q["sql"]]
    # My space counts it, and the header then shows it from the cache
    client.get("/me/")
    assert "Notifications (1)" in client.get("/").content.decode()


def test_a_warm_count_costs_no_query(django_assert_num_queries) -> None:
    viewer = UserFactory.create()
    notification_unread_count(user_id=viewer.pk)
    with django_assert_num_queries(0):
        assert notification_unread_count(user_id=viewer.pk) == 0


def test_anonymous_pages_do_not_look_at_notifications(client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/accounts/login/").content.decode()
    assert "Notifications" not in html
    assert not [q for q in queries if "accounts_notification" in q["sql"]]


# --- API -----------------------------------------------------------------------


def test_api_lists_pages_and_marks_read() -> None:
    viewer, other = UserFactory.create(), UserFactory.create()
    for _ in range(3):
        notification_create(recipient_id=viewer.pk, kind=Kind.NEW_FOLLOWER)
    theirs = notification_create(recipient_id=other.pk, kind=Kind.NEW_FOLLOWER)
    assert theirs is not None
    api = APIClient()
    api.force_authenticate(viewer)
    # the list is paginated by cursor and worded
    page = api.get("/api/v1/me/notifications", {"limit": 2}).json()
    assert len(page["results"]) == 2
    assert page["next"]
    assert page["results"][0]["is_unread"] is True
    assert page["results"][0]["text"] == "Someone started following you."
    rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 1
    # marking one by id, someone else's id is ignored
    first = page["results"][0]["id"]
    marked = api.post("/api/v1/me/notifications/read", {"ids": [first, theirs.pk]}, format="json")
    assert marked.json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # then all of them
    assert api.post("/api/v1/me/notifications/read", {}, format="json").json() == {"marked": 2}
    assert (
        api.post("/api/v1/me/notifications/read", {"ids": ["x"]}, format="json").status_code == 400
    )


def test_api_needs_a_login() -> None:
    response = APIClient().get("/api/v1/me/notifications")

    # Session authentication sends no WWW-Authenticate challenge, so DRF answers 403, not 401.
    assert response.status_code == 403
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "extra": {},
    }


def test_a_deleted_target_reads_as_no_longer_available() -> None:
    viewer = UserFactory.create()
    notification_create(recipient_id=viewer.pk, kind=Kind.NEW_VIDEO, video_id=999_999)
    html = _logged_in(viewer).get("/me/notifications/").content.decode()
    assert "(no longer available)" in html


# --- review fixes -------------------------------------------------------------


def test_a_reply_to_a_reply_tells_the_person_answered() -> None:
    starter, answerer, third = UserFactory.create_batch(3)
    video = ShortVideoFactory.create()
    top = comment_create(author_id=starter.pk, video=video, body="first")
    reply = comment_create(author_id=answerer.pk, video=video, body="second", parent_id=top.pk)
    Notification.objects.all().delete()
    # when a third person answers the reply, and the starter answers it too
    comment_create(author_id=third.pk, video=video, body="third", parent_id=reply.pk)
    comment_create(author_id=starter.pk, video=video, body="fourth", parent_id=reply.pk)
    # then the reply's author hears both, the thread starter nothing
    told = list(Notification.objects.values_list("recipient_id", "actor_id"))
    assert sorted(told) == sorted([(answerer.pk, third.pk), (answerer.pk, starter.pk)])


def test_following_again_is_one_piece_of_news_and_a_repeated_decision_none() -> None:
    creator, fan = CreatorProfileFactory.create().user, UserFactory.create()
    for _ in range(3):
        follow_create(follower_id=fan.pk, creator_id=creator.pk)
        follow_delete(follower_id=fan.pk, creator_id=creator.pk)
    assert Notification.objects.filter(kind=Kind.NEW_FOLLOWER).count() == 1
    video = ShortVideoFactory.create(creator=creator, moderation="pending")
    for _ in range(3):
        moderation_decide(item=video, approve=True)
    assert Notification.objects.filter(kind=Kind.MODERATION_APPROVED).count() == 1


def test_a_deleted_actors_notifications_leave_the_counts_right() -> None:
    creator, fan = CreatorProfileFactory.create().user, UserFactory.create()
    follow_create(follower_id=fan.pk, creator_id=creator.pk)
    assert notification_unread_count(user_id=creator.pk) == 1
    notifications_user_retire(user_id=fan.pk)
    assert notification_unread_count(user_id=creator.pk) == 0


def test_hidden_content_is_no_longer_named_in_followers_inboxes() -> None:
    creator, fan = CreatorProfileFactory.create().user, UserFactory.create()
    video = ShortVideoFactory.create(creator=creator, title="Secret draft")
    notification_create(
        recipient_id=fan.pk, kind=Kind.NEW_VIDEO, actor_id=creator.pk, video_id=video.pk
    )
    page = _logged_in(fan).get("/me/notifications/").content.decode()
    assert "Secret draft" in page
    ShortVideo.objects.filter(pk=video.pk).update(moderation="rejected")
    page = _logged_in(fan).get("/me/notifications/").content.decode()
    assert "Secret draft" not in page
    assert "(no longer available)" in page


def test_marking_read_refuses_ids_beyond_the_database(api_client) -> None:
    api_client.force_authenticate(UserFactory.create())
    response = api_client.post("/api/v1/me/notifications/read", {"ids": [2**63]}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("kind", Notification.Kind.values)
def test_every_kind_has_its_own_sentence_naming_what_it_is_about(kind: str) -> None:
    # given a notification of each kind, about "Go basics", caused by Ann
    # when it is worded
    from accounts.selectors import notification_sentence

    text = notification_sentence(kind=kind, actor_name="Ann", title="Go basics", reason="blurry")
    # then it is a sentence of its own (the fallback is the bare title), with no placeholder left
    assert text != "Go basics"
    assert "%(" not in text
    assert "Ann" in text or "Go basics" in text


def test_a_notification_without_an_actor_names_someone() -> None:
    from accounts.selectors import notification_sentence

    text = notification_sentence(
        kind=Notification.Kind.NEW_FOLLOWER, actor_name=None, title="", reason=""
    )
    assert text == "Someone started following you."
