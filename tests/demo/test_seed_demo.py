import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Q, Sum
from django.utils import timezone
from PIL import Image

from accounts.models import Follow, User
from analytics.models import Event
from commerce.models import EarningEntry, Order, Refund
from courses.media.probe import probe
from courses.models import Course, Enrollment, Lesson, MediaAsset, ShortVideo
from demo import media
from recommendations.experiments import experiment_report, running_experiment
from recommendations.models import Experiment

pytestmark = pytest.mark.django_db

SMALL = ["--users", "30", "--videos", "6", "--courses", "3", "--events", "900"]


def test_seed_builds_a_consistent_platform_and_is_idempotent(tmp_path) -> None:
    # when
    call_command("seed_demo", *SMALL)
    counts = (
        ShortVideo.objects.count(),
        Course.objects.count(),
        User.objects.count(),
        Event.objects.count(),
    )
    call_command("seed_demo", *SMALL)
    # then: nothing added the second time
    assert (
        ShortVideo.objects.count(),
        Course.objects.count(),
        User.objects.count(),
        Event.objects.count(),
    ) == counts
    assert counts[:2] == (6, 3)
    assert Lesson.objects.filter(is_preview=True).count() == 3
    assert ShortVideo.objects.filter(course__isnull=False).exists()
    assert Event.objects.filter(type=Event.Type.PROGRESS, value__gt=0).exists()
    # every paid order has its enrollment, and counters match rows
    assert Order.objects.filter(status="paid").exists()
    for order in Order.objects.filter(status="paid"):
        assert Enrollment.objects.filter(user_id=order.user_id, course_id=order.course_id).exists()
        assert order.payment.captured_minor == order.amount_minor
        assert order.earnings.get().net_minor == order.amount_minor - order.earnings.get().fee_minor
    video = ShortVideo.objects.order_by("-like_count").first()
    assert video is not None
    assert video.like_count == video.likes.count()
    assert Follow.objects.exists()


def test_seed_refuses_negative_sizes() -> None:
    with pytest.raises(SystemExit):
        call_command("seed_demo", "--users", "-1")


def test_seed_refunds_some_orders_as_the_refund_path_would() -> None:
    # when
    call_command(
        "seed_demo", "--users", "200", "--videos", "16", "--courses", "8", "--events", "16000"
    )
    # then: refunds exist, each a full refund a day or more after purchase, never ahead of now
    now = timezone.now()
    refunded = list(Order.objects.filter(status=Order.Status.REFUNDED).select_related("payment"))
    assert refunded
    assert Order.objects.filter(status=Order.Status.PAID).count() > len(refunded)
    for order in refunded:
        refund = order.refunds.get()
        assert refund.status == Refund.Status.SUCCEEDED
        assert refund.eligible
        assert refund.amount_minor == order.refunded_minor == order.amount_minor
        assert order.payment.refunded_minor == order.amount_minor
        assert order.paid_at is not None
        assert refund.decided_at is not None
        assert (
            timedelta(days=1)
            <= refund.decided_at - order.paid_at
            <= timedelta(days=order.refund_days)
        )
        assert refund.decided_at <= now
        assert order.closed_at == refund.decided_at
        # the ledger nets to zero for the creator, as refund_apply leaves it
        assert order.earnings.aggregate(net=Sum("net_minor"), gross=Sum("gross_minor")) == {
            "net": 0,
            "gross": 0,
        }
        assert order.earnings.get(kind=EarningEntry.Kind.REFUND).refund_id == refund.pk
        assert not Enrollment.objects.get(
            user_id=order.user_id, course_id=order.course_id
        ).is_active
    refund_events = Event.objects.filter(type=Event.Type.REFUND)
    assert refund_events.count() == len(refunded)
    assert sorted(refund_events.values_list("value", flat=True)) == sorted(
        o.amount_minor for o in refunded
    )


def test_seed_never_dates_an_order_in_the_future() -> None:
    # when
    call_command("seed_demo", *SMALL)
    # then
    now = timezone.now()
    assert Order.objects.exists()
    assert not Order.objects.filter(Q(paid_at__gt=now) | Q(created_at__gt=now)).exists()
    for order in Order.objects.all():
        assert order.paid_at is not None
        assert order.created_at < order.paid_at
    assert not Refund.objects.filter(Q(decided_at__gt=now) | Q(created_at__gt=now)).exists()


def test_seed_has_one_finished_and_one_running_ab_test() -> None:
    # when
    call_command("seed_demo", *SMALL)
    call_command("seed_demo", *SMALL)
    # then: exactly one of each, valid, with windows inside the seeded history
    stopped = Experiment.objects.get(status=Experiment.Status.STOPPED)
    running = Experiment.objects.get(status=Experiment.Status.RUNNING)
    for experiment in (stopped, running):
        experiment.full_clean()
        assert experiment.live_at is not None
        assert experiment.live_at < timezone.now()
    assert stopped.stopped_at is not None
    assert stopped.live_at is not None
    assert stopped.live_at < stopped.stopped_at
    serving = running_experiment()
    assert serving is not None
    assert serving.name == running.name
    assert experiment_report(stopped).until == stopped.stopped_at


def test_seed_keeps_an_operators_running_test() -> None:
    # given
    Experiment.objects.create(name="mine", status=Experiment.Status.RUNNING)
    # when
    call_command("seed_demo", *SMALL)
    # then
    assert list(
        Experiment.objects.filter(status=Experiment.Status.RUNNING).values_list("name", flat=True)
    ) == ["mine"]
    assert Experiment.objects.filter(status=Experiment.Status.STOPPED).count() == 1


def test_seed_without_ab_tests_leaves_experiments_alone() -> None:
    # when
    call_command("seed_demo", *SMALL, "--no-ab-tests")
    # then
    assert not Experiment.objects.exists()


def test_seeded_courses_have_covers_and_lessons_and_videos_last_15_to_60_seconds() -> None:
    # when
    call_command("seed_demo", *SMALL)
    # then: every course shows a drawn cover of the card size
    media_root = Path(settings.MEDIA_ROOT)
    for course in Course.objects.all():
        assert course.cover
        assert Image.open(media_root / course.cover.name).size == (1280, 720)
    # and lessons and videos are slide clips long enough to measure watch time,
    # their recorded lengths those of the files
    lessons = list(
        Lesson.objects.select_related("asset").order_by(
            "course_id", "section__position", "position"
        )
    )
    videos = list(ShortVideo.objects.select_related("asset"))
    lengths: list[tuple[float, MediaAsset | None]]
    lengths = [(lesson.duration_seconds, lesson.asset) for lesson in lessons]
    lengths += [(video.duration_seconds, video.asset) for video in videos]
    for seconds, asset in lengths:
        assert asset is not None
        assert 15 <= seconds <= 60
        assert asset.duration_seconds == seconds
        assert probe(media_root / asset.file.name).duration_seconds == pytest.approx(
            seconds, abs=0.3
        )
    # and a course's neighbouring lessons play different clips
    for course in Course.objects.all():
        files = [
            str(lesson.asset and lesson.asset.file.name)
            for lesson in lessons
            if lesson.course_id == course.pk
        ]
        assert len(set(files)) == media.LESSONS_PER_TOPIC
        assert all(a != b for a, b in itertools.pairwise(files))


def test_reseeding_draws_covers_for_courses_seeded_without_them() -> None:
    # given: a demo from before covers
    call_command("seed_demo", *SMALL)
    Course.objects.update(cover="")
    # when
    call_command("seed_demo", *SMALL)
    # then
    assert not Course.objects.filter(cover="").exists()
