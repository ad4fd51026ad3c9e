"""The Table every report returns, and the helpers the reports share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import PurchaseAttribution

# A caption or column title: lazily translated, so a cached report renders in each viewer's language.
Label = str | Promise


@dataclass
class Table:
    """Rows of plain values with their column keys and labels."""

    name: str
    caption: Label
    columns: list[tuple[str, Label]]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def column(self, key: str) -> list[Any]:
        return [row.get(key) for row in self.rows]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def previous_period(first: date, last: date) -> tuple[date, date]:
    """The range of the same length that ends the day before ``first``."""
    return first - (last - first) - timedelta(days=1), first - timedelta(days=1)


def last_complete_day(today: date) -> date:
    """T: the last complete local day (yesterday)."""
    return today - timedelta(days=1)


def _orders(first: date, last: date, creator_id: int | None) -> QuerySet[PurchaseAttribution]:
    qs = PurchaseAttribution.objects.filter(local_date__range=(first, last))
    return qs.filter(creator_id=creator_id) if creator_id is not None else qs


def _kpi_table(
    current: dict[str, float | None], previous: dict[str, float | None], labels: list
) -> Table:
    table = Table(
        "kpis",
        _("Key figures against the previous period of the same length"),
        [
            ("metric", _("Metric")),
            ("value", _("Value")),
            ("previous", _("Previous")),
            ("change", _("Change")),
        ],
    )
    for key, label in labels:
        now_value, before = current.get(key), previous.get(key)
        change = None
        if now_value is not None and before:
            change = (now_value - before) / before
        table.rows.append(
            {"key": key, "metric": label, "value": now_value, "previous": before, "change": change}
        )
    return table
