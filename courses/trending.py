"""Trending score: recent engagement, weighted by kind and decayed by age.

score = Σ weight(type) · count · 0.5^(age_days / half_life) over the last
week, plus a small boost for videos published in the last two days so new
work gets seen. Recomputed by a periodic task; the feed only sorts by it.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from analytics.selectors import EventType, video_event_counts_by_day

from .models import PublishStatus, ShortVideo

WEIGHTS = {
    EventType.PLAY: 1.0,
    EventType.COMPLETE: 2.0,
    EventType.LIKE: 3.0,
    EventType.FAVORITE: 3.0,
    EventType.COMMENT: 3.0,
    EventType.SHARE: 5.0,
    EventType.CTA_CLICK: 4.0,
    EventType.SWIPE_AWAY: -0.5,
}
HALF_LIFE_DAYS = 2.0
WINDOW_DAYS = 7
NEW_VIDEO_BOOST = 5.0


def trending_scores(*, now: datetime) -> dict[int, float]:
    """Score every video with recent events; videos without any are absent."""
    since = now - timedelta(days=WINDOW_DAYS)
    scores: dict[int, float] = defaultdict(float)
    for video_id, type_, day, count in video_event_counts_by_day(since=since, types=list(WEIGHTS)):
        age_days = max((now - day).total_seconds() / 86400, 0.0)
        scores[video_id] += WEIGHTS[EventType(type_)] * count * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return scores


@transaction.atomic
def trending_refresh(*, now: datetime | None = None) -> int:
    """Store fresh trending scores on every published video; returns how many changed."""
    now = now or timezone.now()
    scores = trending_scores(now=now)
    fresh_since = now - timedelta(days=2)
    videos = list(
        ShortVideo.objects.filter(status=PublishStatus.PUBLISHED).only(
            "id", "published_at", "trending_score"
        )
    )
    changed = []
    for video in videos:
        boost = NEW_VIDEO_BOOST if video.published_at and video.published_at >= fresh_since else 0.0
        score = round(scores.get(video.pk, 0.0) + boost, 4)
        if score != video.trending_score:
            video.trending_score = score
            changed.append(video)
    ShortVideo.objects.bulk_update(changed, ["trending_score"], batch_size=1000)
    return len(changed)
