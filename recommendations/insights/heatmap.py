"""The similarity heatmap: popular items against their stored neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    Exists,
    OuterRef,
    QuerySet,
)

from analytics.selectors import (
    local_today,
    popular_items,
)
from common.converters import MAX_ID

from ..models import ItemNeighbours, ModelVersion
from ..selectors import model_version_active, stored_neighbours

if TYPE_CHECKING:
    pass
from .facts import item_facts

HEATMAP_SIZE_DEFAULT = 20
HEATMAP_SIZE_MIN = 5
HEATMAP_SIZE_MAX = 40
POPULARITY_DAYS = 30
# Popular items that have no neighbour list in the version (published after
# training) are skipped; this many candidates per heatmap slot are read.
CANDIDATES_PER_SLOT = 3


# --- Similarity heatmap -----------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    id: int
    algorithm: str
    status: str
    activated_at: datetime | None

    def __str__(self) -> str:
        return f"v{self.id} {self.algorithm} ({self.status})"


@dataclass(frozen=True)
class HeatmapItem:
    key: str
    title: str | None  # None: deleted since training
    popularity: int  # viewer-days (videos) or page-viewer-days (courses)

    @property
    def label(self) -> str:
        return self.title if self.title is not None else f"{self.key} (deleted)"


@dataclass(frozen=True)
class HeatmapCell:
    """Similarity of the column item to the row item, as one version stored it.

    ``stored_in`` says whose list held the pair: ``"row"`` (the column item
    is among the row item's neighbours), ``"column"`` (only the reverse was
    stored), ``""`` (neither list has it) or ``"self"`` (the diagonal).
    """

    column: HeatmapItem
    score: float | None
    stored_in: str
    level: int  # 0-100: the score against the largest score in the map

    @property
    def is_diagonal(self) -> bool:
        return self.stored_in == "self"


@dataclass(frozen=True)
class HeatmapRow:
    item: HeatmapItem
    cells: list[HeatmapCell]


@dataclass(frozen=True)
class Heatmap:
    version: VersionInfo | None  # None: no active version, or no such version
    versions: list[VersionInfo]  # versions that still have stored lists
    size: int  # the N asked for, within bounds
    first: date  # popularity window, local days
    last: date
    rows: list[HeatmapRow]
    max_score: float

    @property
    def items(self) -> list[HeatmapItem]:
        return [row.item for row in self.rows]


def heatmap_size(value: int | None) -> int:
    """N within [HEATMAP_SIZE_MIN, HEATMAP_SIZE_MAX]; None gives the default."""
    if value is None:
        return HEATMAP_SIZE_DEFAULT
    return min(max(value, HEATMAP_SIZE_MIN), HEATMAP_SIZE_MAX)


def item_popularity(*, first: date, last: date, limit: int) -> list[tuple[str, int]]:
    """The most popular items of local days [first, last], best first (two queries):
    ``analytics.selectors.popular_items`` says how popularity is counted."""
    return popular_items(first=first, last=last, limit=limit)


def similarity_heatmap(
    *, version_id: int | None = None, size: int | None = None, today: date | None = None
) -> Heatmap:
    """Item-item similarity among the ``size`` most popular items of a version.

    Args:
        version_id: the version to read; None reads the active one.
        size: N, clamped to the bounds; None gives the default (20).
        today: the last local day of the popularity window (tests pass it).

    Returns:
        A heatmap whose rows and columns are the popular items that have a
        neighbour list in the version, most popular first. Seven queries at
        most, whatever N.
    """
    size = heatmap_size(size)
    last = today or local_today()
    first = last - timedelta(days=POPULARITY_DAYS - 1)
    versions = [_version_info(v) for v in _versions_with_lists()]
    version = _version_get(version_id)
    if version is None:
        return Heatmap(None, versions, size, first, last, [], 0.0)
    popular = item_popularity(first=first, last=last, limit=size * CANDIDATES_PER_SLOT)
    lists = stored_neighbours(version_id=version.pk, item_keys=[k for k, _ in popular])
    chosen = [(key, n) for key, n in popular if key in lists][:size]
    facts = item_facts(key for key, _ in chosen)
    items = [HeatmapItem(k, facts[k].title if k in facts else None, n) for k, n in chosen]
    scores = {key: _score_map(lists[key]) for key, _ in chosen}
    rows, top = _heatmap_rows(items, scores)
    return Heatmap(_version_info(version), versions, size, first, last, rows, top)


def _versions_with_lists() -> QuerySet[ModelVersion]:
    # What retraining has not pruned yet (services._prune_lists): the active and the
    # previous production version, and the A/B treatments serving now.
    return ModelVersion.objects.filter(
        Exists(ItemNeighbours.objects.filter(version=OuterRef("pk")))
    ).order_by("-pk")


def _version_get(version_id: int | None) -> ModelVersion | None:
    if version_id is None:
        return model_version_active()
    if not 0 < version_id <= MAX_ID:
        return None
    return ModelVersion.objects.filter(pk=version_id).first()


def _version_info(version: ModelVersion) -> VersionInfo:
    return VersionInfo(version.pk, version.algorithm, version.status, version.activated_at)


def _pairs(stored: list[list[object]]) -> list[tuple[str, float]]:
    """``[[item_key, score], ...]`` in stored order; malformed entries are skipped."""
    found: list[tuple[str, float]] = []
    for entry in stored:
        if isinstance(entry, list | tuple) and len(entry) == 2:
            key, score = entry
            if isinstance(key, str) and isinstance(score, int | float):
                found.append((key, float(score)))
    return found


def _score_map(stored: list[list[object]]) -> dict[str, float]:
    """The stored list as a dict; a key listed twice keeps its first score."""
    found: dict[str, float] = {}
    for key, score in _pairs(stored):
        found.setdefault(key, score)
    return found


def _heatmap_rows(
    items: list[HeatmapItem], scores: dict[str, dict[str, float]]
) -> tuple[list[HeatmapRow], float]:
    """Look each pair up in the row item's list, else in the column item's."""
    pairs: list[list[tuple[float | None, str]]] = []
    for row in items:
        line: list[tuple[float | None, str]] = []
        for column in items:
            if row.key == column.key:
                line.append((None, "self"))
            elif column.key in scores[row.key]:
                line.append((scores[row.key][column.key], "row"))
            elif row.key in scores[column.key]:
                line.append((scores[column.key][row.key], "column"))
            else:
                line.append((None, ""))
        pairs.append(line)
    top = max((s for line in pairs for s, _ in line if s is not None), default=0.0)
    rows = [
        HeatmapRow(
            item,
            [
                HeatmapCell(column, s, where, _level(s, top))
                for column, (s, where) in zip(items, line, strict=True)
            ],
        )
        for item, line in zip(items, pairs, strict=True)
    ]
    return rows, top


def _level(score: float | None, top: float) -> int:
    if score is None or top <= 0:
        return 0
    return max(0, min(100, round(100 * score / top)))
