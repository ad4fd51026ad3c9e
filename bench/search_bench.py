"""Search API latency (server time) over a catalogue of 10,000 videos.

Usage:
    .venv/bin/python bench/search_bench.py                      # SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_bench_search \\
        .venv/bin/python bench/search_bench.py                  # PostgreSQL

Builds (once; later runs reuse it) a dedicated database by bulk-writing the
demo world's topics (``demo.content``) as 40 courses and 10,000
videos with segmented search text (a few seconds, no media files), then
times ``GET /api/v1/search`` through Django's test client (no network, no
browser: the figure is the server's time, including serialization) for a
fixed list of Chinese and English queries, and prints p50/p99 per query and
overall. Never point DATABASE_URL at a database you care about.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"

QUERIES = [
    "编程",
    "Python编程入门",
    "机器学习",
    "英语口语",
    "微积分",
    "水彩 入门",
    "数据分析 sql",
    "python",
    "machine learning",
    "react hooks",
    "watercolor",
    "不存在的词",
]


def _setup(database_url: str | None) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{BENCH_DIR / 'search.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_MEDIA_ROOT", str(BENCH_DIR / "media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    return url


def _ensure_catalogue(videos: int) -> None:
    from django.core.management import call_command

    from courses.models import ShortVideo

    call_command("migrate", verbosity=0)
    have = ShortVideo.objects.count()
    if have >= videos:
        print(f"reusing {have} videos")
        return
    started = time.perf_counter()
    _bulk_catalogue(videos - have, offset=have)
    print(f"created {videos - have} videos in {time.perf_counter() - started:.1f}s")


def _analyze() -> None:
    """Refresh planner statistics, as autovacuum would after a bulk load.

    Without it PostgreSQL plans from an empty table's statistics, scans all
    assets first and never reaches the GIN index (~300 ms instead of ~30 ms).
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _bulk_catalogue(n_videos: int, *, offset: int) -> None:
    """Bulk-write the demo world's topics as 40 courses and ``n_videos`` videos.

    Titles come from ``demo.content`` (Chinese and English);
    search text is segmented exactly as services do. No media files: search
    never reads them. Popularity is varied so ranking has work to do.
    """
    import random

    from django.utils import timezone

    from accounts.models import CreatorProfile, User
    from courses.models import Category, Course, MediaAsset, ShortVideo, Tag
    from courses.search.text import segment
    from demo.content import CATEGORIES, CREATORS, TOPICS

    rng = random.Random(7)
    now = timezone.now()
    categories = {
        slug: Category.objects.get_or_create(slug=slug, defaults={"name": en, "name_zh": zh})[0]
        for slug, en, zh in CATEGORIES
    }
    creators = []
    for handle, name, _category, bio in CREATORS:
        user, _ = User.objects.get_or_create(username=handle, defaults={"display_name": name})
        CreatorProfile.objects.get_or_create(user=user, defaults={"handle": handle, "bio": bio})
        creators.append(user)
    topics = [(cat, *row) for cat, rows in TOPICS.items() for row in rows]
    tags = {
        slug: Tag.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for _cat, slug, name, _titles, _course in topics
    }
    if not Course.objects.exists():
        courses = [
            Course(
                creator=creators[i % len(creators)],
                title=f"{course_title} {i // len(topics) + 1}",
                slug=f"bench-{i}",
                summary=f"{course_title} — {tag_name}",
                category=categories[cat],
                price_minor=0 if i % 8 == 7 else rng.choice([990, 1990, 4900, 9900]),
                status="published",
                published_at=now,
                search_text=segment(f"{course_title} {tag_name}"),
                enrollment_count=rng.randint(0, 500),
            )
            for i, (cat, _slug, tag_name, _titles, course_title) in (
                (i, topics[i % len(topics)]) for i in range(40)
            )
        ]
        Course.objects.bulk_create(courses)
    assets = MediaAsset.objects.bulk_create(
        [
            MediaAsset(owner=creators[0], status="ready", file=f"videos/bench/{k}.mp4")
            for k in range(n_videos)
        ],
        batch_size=2000,
    )
    rows = []
    for k, asset in enumerate(assets, start=offset):
        cat, _slug, tag_name, titles, _course = topics[k % len(topics)]
        title = f"{titles[(k // len(topics)) % len(titles)]} · {k}"
        rows.append(
            ShortVideo(
                creator=creators[k % len(creators)],
                title=title,
                description=f"#{tag_name}",
                category=categories[cat],
                asset=asset,
                status="published",
                published_at=now,
                duration_seconds=30,
                search_text=segment(f"{title} {tag_name}"),
                like_count=int(rng.paretovariate(1.2)),
                view_count=int(rng.paretovariate(1.1) * 20),
            )
        )
    videos = ShortVideo.objects.bulk_create(rows, batch_size=2000)
    through = ShortVideo.tags.through
    through.objects.bulk_create(
        [
            through(shortvideo_id=v.pk, tag_id=tags[topics[k % len(topics)][1]].pk)
            for k, v in enumerate(videos, start=offset)
        ],
        batch_size=2000,
    )


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def _measure(rounds: int, params: dict[str, str]) -> dict[str, list[float]]:
    from django.test import Client

    client = Client()
    timings: dict[str, list[float]] = {q: [] for q in QUERIES}
    for q in QUERIES:  # warm-up: jieba dictionary, caches, query plans
        client.get("/api/v1/search", {"q": q, **params})
    for _ in range(rounds):
        for q in QUERIES:
            started = time.perf_counter()
            response = client.get("/api/v1/search", {"q": q, **params})
            timings[q].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{q!r}: HTTP {response.status_code} {response.content[:200]!r}")
    return timings


def _report(label: str, timings: dict[str, list[float]], params: dict[str, str]) -> None:
    from django.test import Client

    client = Client()
    print(f"\n{label}")
    print(f"{'query':<18} {'videos':>7} {'courses':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for q, values in timings.items():
        body = client.get("/api/v1/search", {"q": q, **params}).json()
        videos = body["videos"]["count"] if body["videos"] else "-"
        courses = body["courses"]["count"] if body["courses"] else "-"
        p50, p99 = _percentile(values, 50), _percentile(values, 99)
        print(f"{q:<18} {videos!s:>7} {courses!s:>7} {p50:>8.1f} {p99:>8.1f}")
    every = [v for values in timings.values() for v in values]
    print(
        f"{'ALL':<18} {'':>7} {'':>7} {_percentile(every, 50):>8.1f} "
        f"{_percentile(every, 99):>8.1f}   (n={len(every)}, mean {statistics.mean(every):.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the query list")
    args = parser.parse_args()
    url = _setup(os.environ.get("DATABASE_URL"))
    from django.db import connection

    print(f"database: {connection.vendor} ({url.split('@')[-1]})")
    _ensure_catalogue(args.videos)
    _analyze()
    from courses.models import Course, ShortVideo

    print(f"catalogue: {ShortVideo.objects.count()} videos, {Course.objects.count()} courses")
    all_params = {"limit": "10"}
    _report(
        "type=all (videos + courses + creators), limit 10",
        _measure(args.rounds, all_params),
        all_params,
    )
    video_params = {"type": "videos", "limit": "20"}
    _report("type=videos, limit 20", _measure(args.rounds, video_params), video_params)


if __name__ == "__main__":
    main()
