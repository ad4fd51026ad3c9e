import pytest
from django.core.management import call_command

from accounts.models import Follow, User
from analytics.models import Event
from commerce.models import Order
from courses.models import Course, Enrollment, Lesson, ShortVideo

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
