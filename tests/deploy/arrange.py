"""Give a fresh production database something to serve: ``python tests/deploy/arrange.py``.

Run by the deploy tests under kfplatform.settings.prod (a staging site): a
small demo world (creators, courses with private lesson clips, viewers with
a watch history) and buyers who own nothing yet. Prints what the tests need
as JSON.
"""

import json
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402

from accounts.models import User  # noqa: E402
from courses.models import Course, Lesson  # noqa: E402
from demo import seed  # noqa: E402

BUYERS = 60

seed.DISTINCT_CLIPS = 2  # rows matter here, not pixels
seed.seed_demo(seed.SeedSize(users=30, videos=30, courses=4, events=2000, ab_tests=False))
password = make_password(seed.DEMO_PASSWORD)  # one hash: each takes PBKDF2's full cost
User.objects.bulk_create(
    [
        User(username=f"buyer-{i:03d}", email=f"buyer-{i:03d}@example.com", password=password)
        for i in range(BUYERS)
    ],
    ignore_conflicts=True,
)
courses = []
for course in Course.objects.filter(price_minor__gt=0, status="published").order_by("pk"):
    lesson = Lesson.objects.filter(course=course, asset__isnull=False).order_by("pk").first()
    if lesson is not None:
        courses.append({"id": course.pk, "slug": course.slug, "lesson_id": lesson.pk})
creator = User.objects.filter(courses__isnull=False).order_by("pk").first()
assert creator is not None, "the demo world has no creator"
assert courses, "the demo world has no paid course"
print(  # noqa: T201  (the deploy tests read it)
    json.dumps(
        {
            "password": seed.DEMO_PASSWORD,
            "creator": creator.username,
            "viewer": "viewer-00001",
            "buyers": [f"buyer-{i:03d}" for i in range(BUYERS)],
            "courses": courses,
        }
    )
)
