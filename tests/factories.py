"""factory_boy factories for the data spine; no import-time values."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import CreatorProfile, User
from courses.models import (
    Category,
    Course,
    Keyframe,
    Lesson,
    Like,
    MediaAsset,
    Section,
    ShortVideo,
    Tag,
    VideoAnalysis,
)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class CreatorProfileFactory(DjangoModelFactory[CreatorProfile]):
    class Meta:
        model = CreatorProfile

    user = factory.SubFactory(UserFactory)
    handle = factory.Sequence(lambda n: f"creator-{n}")


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.title())


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tag-{n}")
    name = factory.LazyAttribute(lambda t: t.slug)


class MediaAssetFactory(DjangoModelFactory[MediaAsset]):
    class Meta:
        model = MediaAsset

    owner = factory.SubFactory(UserFactory)
    status = MediaAsset.Status.READY
    file = factory.Sequence(lambda n: f"videos/test/clip-{n}.mp4")
    duration_seconds = 3.0


class CourseFactory(DjangoModelFactory[Course]):
    class Meta:
        model = Course

    creator = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    category = factory.SubFactory(CategoryFactory)
    price_minor = 4900
    status = "published"
    published_at = factory.LazyFunction(timezone.now)


class SectionFactory(DjangoModelFactory[Section]):
    class Meta:
        model = Section

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    moderation = "approved"


class LessonFactory(DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    section = factory.SubFactory(SectionFactory)
    course = factory.LazyAttribute(lambda lesson: lesson.section.course)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    asset = factory.SubFactory(
        MediaAssetFactory,
        owner=factory.LazyAttribute(lambda a: a.factory_parent.section.course.creator),
        is_private=True,
    )
    duration_seconds = 60
    moderation = "approved"


class ShortVideoFactory(DjangoModelFactory[ShortVideo]):
    class Meta:
        model = ShortVideo

    creator = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    category = factory.SubFactory(CategoryFactory)
    asset = factory.SubFactory(
        MediaAssetFactory, owner=factory.LazyAttribute(lambda a: a.factory_parent.creator)
    )
    status = "published"
    published_at = factory.LazyFunction(timezone.now)
    duration_seconds = 3.0


class LikeFactory(DjangoModelFactory[Like]):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    video = factory.SubFactory(ShortVideoFactory)


class VideoAnalysisFactory(DjangoModelFactory[VideoAnalysis]):
    """A stored analysis without running the pipeline (tests of what reads it)."""

    class Meta:
        model = VideoAnalysis

    asset = factory.SubFactory(MediaAssetFactory)
    duration_seconds = 3.0


class KeyframeFactory(DjangoModelFactory[Keyframe]):
    class Meta:
        model = Keyframe

    analysis = factory.SubFactory(VideoAnalysisFactory)
    position = factory.Sequence(lambda n: n)
    start_seconds = 0.0
    end_seconds = 3.0
    timestamp = 1.0
    image = factory.Sequence(lambda n: f"keyframes/test/frame-{n}.jpg")
    phash = "0" * 64
