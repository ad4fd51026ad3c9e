"""The second a searched word is on screen, for the video results that found it there.

A knowledge video's topic is often only on its slides; search finds it
through the on-screen text in ``search_text``, and the result then links to
the start of the shot showing the word (``?t=SECONDS`` on the video page).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from ..models import ScreenTextLine


@dataclass(frozen=True)
class ScreenMoment:
    """Where a searched word is first on screen: the shot's start and the line read there."""

    seconds: float
    text: str

    @property
    def query(self) -> str:
        """The video page's query string that starts playback here."""
        return f"?t={self.seconds:g}"

    @property
    def clock(self) -> str:
        whole = int(self.seconds)
        return f"{whole // 60}:{whole % 60:02d}"


def screen_moments(videos: list[Any], terms: list[str]) -> dict[int, ScreenMoment]:
    """Video id → the first on-screen line showing a term, for videos whose title shows none.

    One query for the whole page. A video found by its title opens at its
    start (or where the viewer left it), as before.
    """
    asset_of = {
        video.asset_id: video.pk
        for video in videos
        if not any(term in video.title.lower() for term in terms)
    }
    if not asset_of or not terms:
        return {}
    shows_a_term = Q()
    for term in terms:
        shows_a_term |= Q(text__icontains=term)
    lines = (
        ScreenTextLine.objects.filter(shows_a_term, analysis__asset_id__in=list(asset_of))
        .order_by("analysis__asset_id", "shown_from", "id")
        .values_list("analysis__asset_id", "shown_from", "text")
    )
    moments: dict[int, ScreenMoment] = {}
    for asset_id, seconds, text in lines:
        moments.setdefault(asset_of[asset_id], ScreenMoment(seconds=seconds, text=text))
    return moments
