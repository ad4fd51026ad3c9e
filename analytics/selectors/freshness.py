"""How fresh the rollups are: the page's "as of" stamp and the reports' cache key."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max

from ..models import MetricRun


def rollups_as_of() -> Any:
    """When the newest rollup finished (the page's "as of" stamp), or None."""
    return MetricRun.objects.aggregate(m=Max("finished_at"))["m"]


def rollups_version() -> str:
    """Changes whenever any day is rolled up again: a cache key for reports."""
    stamp = MetricRun.objects.aggregate(m=Max("finished_at"), n=Count("id"))
    return f"{stamp['m'].isoformat() if stamp['m'] else '-'}:{stamp['n']}"
