"""Deletion really forgets (issue 12, item 6).

After an account is deleted: the creator's avatar (public at /media/avatars/),
draft covers and unused uploads are gone from disk; the free text of refund
requests is cleared; and the kept order can no longer be joined to the
pseudonymous history through its ``order.paid`` event (course, amount, time),
which the last test tries as an attacker with database access would.
"""

import io
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from analytics.models import CourseDaily, Event
from analytics.rollups import report_tz
from analytics.rollups.days import local_date_of
from analytics.services import event_record, rollups_backfill
from commerce.models import Order, Refund
from commerce.services import order_create
from commerce.services.orders import order_fulfil
from courses.models import MediaAsset
from me.privacy import account_delete
from studio.services import course_create, creator_become
from tests.commerce.conftest import paid_course
from tests.factories import CategoryFactory, MediaAssetFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _on_disk(name: str) -> bool:
    return (Path(settings.MEDIA_ROOT) / name).exists()


def test_a_deleted_creator_s_avatar_covers_and_uploads_leave_the_disk(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a creator with an avatar, a draft course with a cover, an unused upload
    user = UserFactory.create()
    profile = creator_become(user=user, handle="gone-soon", avatar=_jpeg())
    course = course_create(
        creator_id=user.pk, title="Draft", category=CategoryFactory.create(), cover=_jpeg()
    )
    upload = MediaAssetFactory.create(owner=user, file=ContentFile(b"x" * 10, name="up.mp4"))
    files = [profile.avatar.name, course.cover.name, upload.file.name]
    assert all(_on_disk(name) for name in files)
    assert Client().get(f"/media/{profile.avatar.name}").status_code == 200
    # when
    with django_capture_on_commit_callbacks(execute=True):
        counts = account_delete(user_id=user.pk)
    # then
    assert [_on_disk(name) for name in files] == [False, False, False]
    assert Client().get(f"/media/{profile.avatar.name}").status_code == 404
    assert counts["media_assets"] == 1
    assert not MediaAsset.objects.filter(owner=user).exists()


def _buyer_with_history() -> tuple[Any, Order]:
    """A viewer who watched a few videos, bought a course and asked for a refund."""
    buyer = UserFactory.create()
    course = paid_course(price=4900)
    for n in range(4):
        video = ShortVideoFactory.create(creator=course.creator, course=course)
        event_record(type=Event.Type.PROGRESS, user_id=buyer.pk, video_id=video.pk, value=3.0 + n)
    order = order_create(user_id=buyer.pk, course_id=course.pk).order
    assert order is not None
    order = order_fulfil(order_id=order.pk, payment_id="ch_1", captured_minor=order.amount_minor)
    Refund.objects.create(
        order=order,
        provider=order.provider,
        amount_minor=order.amount_minor,
        reason="Please call me on 138-0013-8000, I bought it twice",
    )
    return buyer, order


def test_a_refund_reason_does_not_survive_the_account() -> None:
    buyer, order = _buyer_with_history()
    account_delete(user_id=buyer.pk)
    refund = Refund.objects.get(order=order)
    assert refund.reason == ""
    assert refund.amount_minor == order.amount_minor  # the payment record itself stays


def test_the_kept_order_no_longer_joins_the_pseudonymous_history(monkeypatch) -> None:
    # given: a buyer with a watch history and a paid order at noon yesterday (the time is cut
    # to the start of its day; an order paid just after midnight would stay within the
    # attacker's ten minutes below, so the clock is fixed); the day's rollup
    yesterday = timezone.localtime(timezone=report_tz()).date() - timedelta(days=1)
    noon = datetime.combine(yesterday, time(12, 0), tzinfo=report_tz())
    monkeypatch.setattr(timezone, "now", lambda: noon)
    buyer, order = _buyer_with_history()
    order.refresh_from_db()
    assert order.paid_at is not None
    day = local_date_of(order.paid_at)
    rollups_backfill(first=day, last=day)
    gmv_before = list(CourseDaily.objects.values_list("course_id", "purchases", "gmv_minor"))
    assert gmv_before == [(order.course_id, 1, order.amount_minor)]
    # when: the account is deleted
    account_delete(user_id=buyer.pk)
    # then: the attacker's join. The kept order names its course, amount and paid time.
    kept = Order.objects.get(pk=order.pk)
    assert kept.paid_at == order.paid_at  # the order keeps its moment
    window = (order.paid_at - timedelta(minutes=10), order.paid_at + timedelta(minutes=10))
    exact = Event.objects.filter(
        type=Event.Type.PURCHASE,
        course_id=kept.course_id,
        value=kept.amount_minor,
        ts__range=window,
    )
    assert not exact.exists()  # the moment is gone
    same_day = Event.objects.filter(
        type__in=[Event.Type.PURCHASE, Event.Type.CHECKOUT],
        course_id=kept.course_id,
        value=kept.amount_minor,
    )
    assert same_day.count() == 2  # the day's numbers are still there...
    for subject in same_day.values_list("subject_id", flat=True):
        # ...but each leads to nothing else: no watch history behind it
        assert list(Event.objects.filter(subject_id=subject).values_list("type", flat=True)) in (
            [Event.Type.PURCHASE],
            [Event.Type.CHECKOUT],
        )
    assert not Event.objects.filter(props__has_key="order").exists()
    # and the watch history, still in the aggregates, names neither order nor person
    history = Event.objects.filter(type=Event.Type.PROGRESS)
    assert history.count() == 4
    assert len(set(history.values_list("subject_id", flat=True))) == 1
    assert (
        set(history.values_list("subject_id", flat=True))
        & set(same_day.values_list("subject_id", flat=True))
        == set()
    )
    # and the day's figures are unchanged when rebuilt
    rollups_backfill(first=day, last=day)
    assert list(CourseDaily.objects.values_list("course_id", "purchases", "gmv_minor")) == (
        gmv_before
    )
    # what is left of the moment: the start of its reporting day
    assert {e.astimezone(report_tz()).time() for e in same_day.values_list("ts", flat=True)} == {
        time(0, 0)
    }
