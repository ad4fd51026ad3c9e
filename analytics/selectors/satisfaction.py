"""Satisfaction over a range: ratings (1–5 stars) and the 0–10 survey, per day, course, creator.

Every figure is summed from ``SatisfactionDaily`` (one query per table)
and computed by :func:`satisfaction_figures`, so the page, the CSV and the
tests share one formula (docs/metrics.md §Satisfaction):

* average rating = Σ stars / ratings; share 4–5 = ratings of 4 or 5 / ratings;
* NPS = 100 × (promoters (9–10) − detractors (0–6)) / answers, in points;
* response rate = answers / prompts shown; skip rate = skips / prompts shown.

A zero denominator gives ``None`` (no data), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import SatisfactionDaily
from ..rollups.satisfaction import COUNT_COLUMNS, SCORES, STARS
from .tables import Table, previous_period, ratio

SUM_COLUMNS = (*COUNT_COLUMNS, "prompts_shown", "skips")
PROMOTER_MIN = 9  # 9–10 promote
DETRACTOR_MAX = 6  # 0–6 detract; 7–8 are passive


@dataclass(frozen=True)
class SatisfactionFigures:
    """Satisfaction of one scope (a day, a course, a creator, the platform)."""

    stars: tuple[int, ...]  # ratings with 1..5 stars
    scores: tuple[int, ...]  # answers 0..10
    prompts_shown: int
    skips: int

    @property
    def ratings(self) -> int:
        return sum(self.stars)

    @property
    def average_rating(self) -> float | None:
        return ratio(sum(n * k for n, k in zip(STARS, self.stars, strict=True)), self.ratings)

    @property
    def high_share(self) -> float | None:
        """Share of ratings with 4 or 5 stars."""
        return ratio(self.stars[3] + self.stars[4], self.ratings)

    @property
    def responses(self) -> int:
        return sum(self.scores)

    @property
    def promoters(self) -> int:
        return sum(self.scores[PROMOTER_MIN:])

    @property
    def detractors(self) -> int:
        return sum(self.scores[: DETRACTOR_MAX + 1])

    @property
    def nps(self) -> float | None:
        """Net promoter score in points, −100 … 100."""
        share = ratio(self.promoters - self.detractors, self.responses)
        return None if share is None else 100 * share

    @property
    def response_rate(self) -> float | None:
        return ratio(self.responses, self.prompts_shown)

    @property
    def skip_rate(self) -> float | None:
        return ratio(self.skips, self.prompts_shown)


def satisfaction_figures(sums: Mapping[str, int | None]) -> SatisfactionFigures:
    """Figures from summed ``SatisfactionDaily`` counters (missing or None count as 0)."""
    return SatisfactionFigures(
        stars=tuple(int(sums.get(f"stars_{n}") or 0) for n in STARS),
        scores=tuple(int(sums.get(f"score_{n}") or 0) for n in SCORES),
        prompts_shown=int(sums.get("prompts_shown") or 0),
        skips=int(sums.get("skips") or 0),
    )


def _scoped(
    first: date, last: date, creator_id: int | None, course_id: int | None = None
) -> QuerySet[SatisfactionDaily]:
    qs = SatisfactionDaily.objects.filter(local_date__range=(first, last))
    if creator_id is not None:
        qs = qs.filter(creator_id=creator_id)
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    return qs


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in SUM_COLUMNS}


def satisfaction_get(
    *, first: date, last: date, creator_id: int | None = None, course_id: int | None = None
) -> SatisfactionFigures:
    """Satisfaction of the platform, one creator or one course over ``[first, last]``."""
    return satisfaction_figures(_scoped(first, last, creator_id, course_id).aggregate(**_sums()))


_FIGURE_COLUMNS: list[tuple[str, Any]] = [
    ("ratings", _("Ratings")),
    ("average_rating", _("Average rating")),
    ("high_share", _("4–5 star share")),
    ("responses", _("Survey answers")),
    ("nps", _("NPS")),
    ("prompts_shown", _("Prompts shown")),
    ("skips", _("Skips")),
    ("response_rate", _("Response rate")),
]


def _figure_cells(figures: SatisfactionFigures) -> dict[str, Any]:
    return {key: getattr(figures, key) for key, _label in _FIGURE_COLUMNS}


SUMMARY_LABELS = [
    ("ratings", _("Ratings")),
    ("average_rating", _("Average rating (1–5)")),
    ("high_share", _("Share of 4–5 star ratings")),
    ("responses", _("Survey answers")),
    ("nps", _("NPS (promoters − detractors, points)")),
    ("prompts_shown", _("Survey prompts shown")),
    ("response_rate", _("Survey response rate")),
    ("skip_rate", _("Survey skip rate")),
]


def satisfaction_summary_table(
    *, first: date, last: date, today: date, creator_id: int | None = None
) -> Table:
    """The headline figures for ``[first, last]`` against the previous period of equal length."""
    now = satisfaction_get(first=first, last=last, creator_id=creator_id)
    prev_first, prev_last = previous_period(first, last)
    before = satisfaction_get(first=prev_first, last=prev_last, creator_id=creator_id)
    table = Table(
        "satisfaction",
        _("Satisfaction against the previous period of the same length"),
        [
            ("metric", _("Metric")),
            ("value", _("Value")),
            ("previous", _("Previous")),
            ("change", _("Change")),
        ],
    )
    for key, label in SUMMARY_LABELS:
        value, previous = getattr(now, key), getattr(before, key)
        change = None
        if value is not None and previous and key != "nps":  # NPS can be ≤ 0: no % change
            change = (value - previous) / previous
        table.rows.append(
            {
                "key": key,
                "metric": label,
                "value": value,
                "previous": previous,
                "change": change,
                "in_progress": last >= today,
            }
        )
    return table


def satisfaction_daily_table(
    *, first: date, last: date, today: date, creator_id: int | None = None
) -> Table:
    """Satisfaction per local day of ``[first, last]``; days without data show no figures."""
    stored = {
        row["local_date"]: satisfaction_figures(row)
        for row in _scoped(first, last, creator_id)
        .values("local_date")
        .annotate(**_sums())
        .order_by()
    }
    table = Table(
        "satisfaction_daily",
        _("Satisfaction per day"),
        [("period", _("Day")), *_FIGURE_COLUMNS],
    )
    empty = satisfaction_figures({})
    for day in rollups.days_between(first, last):
        figures = stored.get(day, empty)
        table.rows.append(
            {"period": day.isoformat(), **_figure_cells(figures), "in_progress": day >= today}
        )
    return table


def satisfaction_by_course_table(
    *, first: date, last: date, today: date, creator_id: int | None = None, limit: int = 50
) -> Table:
    """Courses with ratings or survey prompts in the range, most rated first."""
    return _by_table(
        "satisfaction_courses",
        _("Satisfaction per course (most rated first)"),
        "course_id",
        _("Course"),
        _scoped(first, last, creator_id),
        in_progress=last >= today,
        limit=limit,
    )


def satisfaction_by_creator_table(
    *, first: date, last: date, today: date, limit: int = 50
) -> Table:
    """Creators with ratings or survey prompts in the range, most rated first."""
    return _by_table(
        "satisfaction_creators",
        _("Satisfaction per creator (most rated first)"),
        "creator_id",
        _("Creator"),
        _scoped(first, last, None).exclude(creator_id=None),
        in_progress=last >= today,
        limit=limit,
    )


def _by_table(
    name: str,
    caption: Any,
    key: str,
    label: Any,
    rows: QuerySet[SatisfactionDaily],
    *,
    in_progress: bool,
    limit: int,
) -> Table:
    grouped = list(rows.values(key).annotate(**_sums()).order_by())
    figures = [(row[key], satisfaction_figures(row)) for row in grouped]
    figures.sort(key=lambda item: (-item[1].ratings, -item[1].prompts_shown, item[0]))
    table = Table(name, caption, [(key, label), *_FIGURE_COLUMNS])
    for owner, one in figures[:limit]:
        table.rows.append({key: owner, **_figure_cells(one), "in_progress": in_progress})
    return table


def satisfaction_distribution_tables(
    *, first: date, last: date, creator_id: int | None = None
) -> tuple[Table, Table]:
    """How many ratings gave each star, and how many answers each score (one query)."""
    figures = satisfaction_get(first=first, last=last, creator_id=creator_id)
    stars = Table(
        "rating_distribution",
        _("Ratings by stars"),
        [("stars", _("Stars")), ("ratings", _("Ratings")), ("share", _("Share"))],
    )
    for n, count in zip(STARS, figures.stars, strict=True):
        stars.rows.append({"stars": n, "ratings": count, "share": ratio(count, figures.ratings)})
    scores = Table(
        "score_distribution",
        _("Survey answers by score (0–6 detractors, 7–8 passives, 9–10 promoters)"),
        [
            ("score", _("Score")),
            ("group", _("Group")),
            ("answers", _("Answers")),
            ("share", _("Share")),
        ],
    )
    for n, count in zip(SCORES, figures.scores, strict=True):
        scores.rows.append(
            {
                "score": n,
                "group": _group_label(n),
                "answers": count,
                "share": ratio(count, figures.responses),
            }
        )
    return stars, scores


def _group_label(score: int) -> Any:
    if score >= PROMOTER_MIN:
        return _("promoter")
    return _("detractor") if score <= DETRACTOR_MAX else _("passive")
