"""The Table every report returns, and the helpers the reports share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from ..models import PurchaseAttribution


@dataclass
class Table:
    """Rows of plain values with their column keys and labels."""

    name: str
    caption: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def column(self, key: str) -> list[Any]:
        return [row.get(key) for row in self.rows]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


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
        "Key figures against the previous period of the same length",
        [("metric", "Metric"), ("value", "Value"), ("previous", "Previous"), ("change", "Change")],
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
