"""Certify the active students who completed every lesson before certificates existed."""

from django.db import migrations
from django.db.models import Count
from django.utils.crypto import get_random_string

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as courses.models.new_certificate_code


def backfill(apps, schema_editor):
    Lesson = apps.get_model("courses", "Lesson")
    LessonProgress = apps.get_model("courses", "LessonProgress")
    Enrollment = apps.get_model("courses", "Enrollment")
    Certificate = apps.get_model("courses", "Certificate")
    User = apps.get_model("accounts", "User")
    lessons = dict(
        Lesson.objects.values("course_id").annotate(n=Count("pk")).values_list("course_id", "n")
    )
    done = (
        LessonProgress.objects.filter(completed_at__isnull=False)
        .values("user_id", "course_id")
        .annotate(n=Count("lesson_id", distinct=True))
    )
    active = set(Enrollment.objects.filter(is_active=True).values_list("user_id", "course_id"))
    finished = [
        (row["user_id"], row["course_id"])
        for row in done
        if row["n"] >= lessons.get(row["course_id"], 0) > 0
        and (row["user_id"], row["course_id"]) in active
    ]
    names = {
        u.pk: u.display_name or u.username
        for u in User.objects.filter(pk__in={user_id for user_id, _ in finished})
    }
    Certificate.objects.bulk_create(
        [
            Certificate(
                user_id=user_id,
                course_id=course_id,
                code=get_random_string(12, allowed_chars=CODE_ALPHABET),
                learner_name=names[user_id],
            )
            for user_id, course_id in finished
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("courses", "0008_captions"), ("accounts", "0003_interests_are_tag_slugs")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
