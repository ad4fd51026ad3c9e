"""Build (or top up) the demo platform. Idempotent: what exists is kept.

Catalogue rows are keyed by slug or username, so a second run with the same
sizes adds nothing; behaviour is generated only for viewers created in this
run. Rows are bulk-written: at benchmark sizes (100k viewers, 1M events)
per-row services would take hours, and this data has no side effects to run.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, User
from courses.models import Category, Course, Lesson, MediaAsset, Section, ShortVideo, Tag
from courses.services import segment, trending_refresh
from recommendations.models import Experiment

from .behaviour import generate_behaviour
from .content import CATEGORIES, CREATORS, TOPICS
from .media import (
    LESSONS_PER_TOPIC,
    SHORTS_PER_TOPIC,
    ClipFiles,
    course_cover_file,
    lesson_clip_files,
    short_clip_files,
)
from .satisfaction import seed_satisfaction

DEMO_PASSWORD = "demo-pass-123"
PRICES_MINOR = [990, 1990, 4900, 9900, 19900]
N_TOPICS = sum(len(rows) for rows in TOPICS.values())
# At most this many distinct short and lesson clip files each: the demo needs
# 32 and 48 (media.SHORTS_PER_TOPIC and LESSONS_PER_TOPIC per topic); tests
# that need rows, not pixels, set it lower and share a few files.
DISTINCT_CLIPS = 64


@dataclass(frozen=True)
class SeedSize:
    users: int = 240
    videos: int = 64
    courses: int = 16
    events: int = 40_000
    seed: int = 7
    ab_tests: bool = True  # off for test worlds that start their own A/B tests


@dataclass(frozen=True)
class Topic:
    """One tag of the demo world, with the titles made from it."""

    index: int
    category_slug: str
    tag_slug: str
    tag_name: str
    titles: list[str] = field(hash=False)
    course_title: str

    @property
    def hue(self) -> float:
        return (self.index * 0.618) % 1


def all_topics() -> list[Topic]:
    rows = [(cat, *row) for cat, topic_rows in TOPICS.items() for row in topic_rows]
    return [
        Topic(i, cat, slug, name, titles, course)
        for i, (cat, slug, name, titles, course) in enumerate(rows)
    ]


@dataclass
class Catalogue:
    categories: dict[str, Category]
    tags: dict[str, Tag]
    creators: dict[str, list[User]]  # category slug -> its creators

    def creator_for(self, topic: Topic) -> User:
        """Topics alternate between their category's two creators."""
        pair = self.creators[topic.category_slug]
        return pair[(topic.index // 2) % len(pair)]


def seed_demo(size: SeedSize) -> dict[str, int]:
    """Create what is missing; return counts of what this run added."""
    topics = all_topics()
    catalogue = Catalogue(*_ensure_taxonomy(topics), creators=_ensure_creators())
    courses = [_ensure_course(i, topics[i % len(topics)], catalogue) for i in range(size.courses)]
    first_course_of: dict[str, Course] = {}
    for course in courses:
        first_course_of.setdefault(course.tags.all()[0].slug, course)
    new_videos = sum(
        _ensure_video(i, topics[i % len(topics)], catalogue, first_course_of)
        for i in range(size.videos)
    )
    _ensure_demo_accounts()
    viewers = _ensure_viewers(size.users)
    counts = generate_behaviour(
        viewer_ids=[v.pk for v in viewers],
        topics=[t.tag_slug for t in topics],
        events_per_viewer=size.events / max(size.users, 1),
        seed=size.seed,
    )
    new_experiments = _ensure_experiments() if size.ab_tests else 0
    counts.update(seed_satisfaction(seed=size.seed))
    trending_refresh()
    _refresh_planner_statistics()
    return {
        "new_videos": new_videos,
        "new_viewers": len(viewers),
        "new_experiments": new_experiments,
        **counts,
    }


def _ensure_taxonomy(topics: list[Topic]) -> tuple[dict[str, Category], dict[str, Tag]]:
    categories = {}
    for position, (slug, name, name_zh) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_zh": name_zh, "position": position}
        )
    tags = {}
    for topic in topics:
        tags[topic.tag_slug], _ = Tag.objects.get_or_create(
            slug=topic.tag_slug, defaults={"name": topic.tag_name}
        )
    return categories, tags


def _ensure_creators() -> dict[str, list[User]]:
    by_category: dict[str, list[User]] = {}
    for handle, name, category, bio in CREATORS:
        user, created = User.objects.get_or_create(
            username=handle, defaults={"display_name": name, "email": f"{handle}@demo.kf"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        CreatorProfile.objects.get_or_create(user=user, defaults={"handle": handle, "bio": bio})
        by_category.setdefault(category, []).append(user)
    return by_category


def _ensure_course(i: int, topic: Topic, catalogue: Catalogue) -> Course:
    """Course i teaches topic i mod 16; every eighth course is free."""
    slug = f"{topic.tag_slug}-{i + 1}"
    existing = Course.objects.filter(slug=slug).first()
    if existing is not None:
        if not existing.cover:  # seeded before the demo drew covers
            existing.cover = _cover(existing.slug, existing.title, topic, catalogue)
            existing.save(update_fields=["cover", "updated_at"])
        return existing
    round_ = i // N_TOPICS
    title = topic.course_title if round_ == 0 else f"{topic.course_title} 进阶 {round_ + 1}"
    price = 0 if i % 8 == 7 else PRICES_MINOR[i % len(PRICES_MINOR)]
    return _create_course(slug, title, topic, catalogue, price_minor=price)


def _cover(slug: str, title: str, topic: Topic, catalogue: Catalogue) -> str:
    category = catalogue.categories[topic.category_slug]
    return course_cover_file(
        slug=slug,
        title=title,
        label=f"{topic.tag_name} · {category.name_zh or category.name}",
        hue=topic.hue,
        motif=topic.category_slug,
    )


@transaction.atomic
def _create_course(
    slug: str, title: str, topic: Topic, catalogue: Catalogue, *, price_minor: int
) -> Course:
    creator = catalogue.creator_for(topic)
    summary = f"{title} — {topic.tag_name}: short lessons, real exercises."
    description = (
        f"## {title}\n\nLearn **{topic.tag_name}** step by step.\n\n- Short lessons\n- Exercises"
    )
    course = Course.objects.create(
        slug=slug,
        title=title,
        summary=summary,
        description=description,
        cover=_cover(slug, title, topic, catalogue),
        creator=creator,
        category=catalogue.categories[topic.category_slug],
        price_minor=price_minor,
        currency="CNY",
        status="published",
        published_at=timezone.now() - timedelta(days=45),
        search_text=segment(f"{title} {summary} {topic.tag_name}"),
    )
    course.tags.add(catalogue.tags[topic.tag_slug])
    lesson_number = 0
    for s, section_title in enumerate(["Getting started · 入门", "Going further · 进阶"]):
        section = Section.objects.create(
            course=course, title=section_title, position=s, moderation="approved"
        )
        for k in range(2 + s):
            # Neighbouring lessons show different clips of the topic.
            shown, variant = _clip_source(topic, lesson_number, per_topic=LESSONS_PER_TOPIC)
            clip = lesson_clip_files(shown.tag_slug, shown.hue, variant)
            lesson_number += 1
            Lesson.objects.create(
                section=section,
                course=course,
                position=k,
                is_preview=(s == 0 and k == 0),
                title=f"{s + 1}.{k + 1} {topic.tag_name} · part {k + 1}",
                asset=_asset(creator, clip, is_private=True),
                duration_seconds=round(clip.seconds),
                moderation="approved",
            )
    return course


def _clip_source(topic: Topic, variant: int, *, per_topic: int) -> tuple[Topic, int]:
    """The topic and variant whose clip file shows clip ``variant`` of ``topic``:
    the same ones unless ``DISTINCT_CLIPS`` caps the number of files."""
    index = (topic.index + N_TOPICS * (variant % per_topic)) % DISTINCT_CLIPS
    return all_topics()[index % N_TOPICS], index // N_TOPICS


def _asset(owner: User, clip: ClipFiles, *, is_private: bool = False) -> MediaAsset:
    return MediaAsset.objects.create(
        owner=owner,
        is_private=is_private,
        status="ready",
        file=clip.clip,
        poster=clip.poster,
        size_bytes=(Path(settings.MEDIA_ROOT) / clip.clip).stat().st_size,
        duration_seconds=clip.seconds,
        width=clip.width,
        height=clip.height,
        video_codec="h264",
        audio_codec="aac",
    )


def _ensure_video(i: int, topic: Topic, catalogue: Catalogue, course_of: dict[str, Course]) -> bool:
    """Video i shows topic i mod 16; seven in ten link their topic's course."""
    round_ = i // N_TOPICS
    base_title = topic.titles[round_ % len(topic.titles)]
    title = (
        base_title
        if round_ < len(topic.titles)
        else f"{base_title} · {round_ // len(topic.titles) + 1}"
    )
    creator = catalogue.creator_for(topic)
    if ShortVideo.objects.filter(creator=creator, title=title).exists():
        return False
    shown, variant = _clip_source(topic, round_, per_topic=SHORTS_PER_TOPIC)
    clip = short_clip_files(shown.tag_slug, shown.hue, variant)
    with transaction.atomic():
        asset = _asset(creator, clip)
        video = ShortVideo.objects.create(
            creator=creator,
            title=title,
            asset=asset,
            status="published",
            description=f"{title} — #{topic.tag_name}",
            category=catalogue.categories[topic.category_slug],
            course=course_of.get(topic.tag_slug) if i % 10 < 7 else None,
            duration_seconds=clip.seconds,
            published_at=timezone.now() - timedelta(days=35, minutes=-i),
            search_text=segment(f"{title} {topic.tag_name}"),
        )
        video.tags.add(catalogue.tags[topic.tag_slug])
    return True


def _ensure_viewers(n: int) -> list[User]:
    """Viewers demo-0001… created now (existing ones already have their history)."""
    usernames = [f"viewer-{k:05d}" for k in range(1, n + 1)]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    password = make_password(DEMO_PASSWORD)  # one hash for all: hashing 100k would take minutes
    joined = timezone.now() - timedelta(days=30)
    new = [
        User(username=u, email=f"{u}@demo.kf", password=password, date_joined=joined)
        for u in usernames
        if u not in existing
    ]
    User.objects.bulk_create(new, batch_size=2000)
    return list(User.objects.filter(username__in=[u.username for u in new]).order_by("pk"))


def _ensure_demo_accounts() -> None:
    """An admin and a named viewer to log in as (the README lists both)."""
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@demo.kf", "admin")
    if not User.objects.filter(username="demo").exists():
        User.objects.create_user("demo", "demo@demo.kf", DEMO_PASSWORD, display_name="Demo Viewer")


def _ensure_experiments() -> int:
    """One finished and one running A/B test, so the A/B sections of the admin
    and the dashboard have something to show. Their windows cover the seeded
    history; the running one gets its treatment version at the next retrain."""
    now = timezone.now()
    created = 0
    _, new = Experiment.objects.get_or_create(
        name="demo-als-only",
        defaults={
            "description": "Finished: ALS alone against the hybrid.",
            "treatment_params": {"hybrid_weights": {"ease": 0, "als": 1}},
            "treatment_percent": 50,
            "status": Experiment.Status.STOPPED,
            "live_at": now - timedelta(days=60),
            "stopped_at": now - timedelta(days=30),
        },
    )
    created += new
    if not Experiment.objects.filter(status=Experiment.Status.RUNNING).exists():
        # Only one test may run (a constraint): an operator's own test stays.
        _, new = Experiment.objects.get_or_create(
            name="demo-ranker",
            defaults={
                "description": "Running: the second-stage ranker re-orders the lists.",
                "treatment_ranker": True,
                "treatment_percent": 50,
                "status": Experiment.Status.RUNNING,
                "live_at": now - timedelta(days=30),
            },
        )
        created += new
    return created


def _refresh_planner_statistics() -> None:
    """After a bulk load PostgreSQL plans with stale row counts (sorting whole
    tables for a ten-row page) until autovacuum catches up; ANALYZE now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
