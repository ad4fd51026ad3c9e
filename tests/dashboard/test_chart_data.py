"""Each chart carries its numbers, and the previous period's, for static/js/charts.js."""

import json
import re
from datetime import timedelta

import pytest

from analytics.models import Event
from analytics.services import rollups_backfill
from tests.analytics.helpers import at, ev
from tests.dashboard.test_views import data, staff  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
T = Event.Type


def _chart_data(html: str, chart_id: str) -> dict:
    found = re.search(
        rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, f"no data block for {chart_id}"
    return json.loads(found.group(1))


def test_each_chart_carries_its_numbers_and_the_previous_period(staff, data):  # noqa: F811
    # given plays yesterday and, one week earlier, plays in the previous period
    earlier = data.day - timedelta(days=7)
    ids = {"video_id": data.mine.pk, "creator_id": data.mine.creator_id}
    for n in range(5):
        ev(T.PLAY, at(earlier, 9), f"old{n}", **ids)
    rollups_backfill(first=earlier, last=earlier)
    # when the dashboard shows yesterday and the six days before
    html = staff.get(f"/dashboard/?from={data.day - timedelta(days=6)}&to={data.day}").content
    html = html.decode()
    # then every SVG chart has its data block, next to it
    svg_ids = re.findall(r'<svg id="([^"]+)" class="kf-chart"', html)
    assert svg_ids
    for chart_id in svg_ids:
        assert _chart_data(html, chart_id)["kind"] in ("line", "bar")
    watch = _chart_data(html, "chart-watch")
    assert watch["x"][-1] == data.day.isoformat()
    assert watch["series"][0]["values"][-1] == 4  # yesterday's plays, as the table
    # and the previous seven days line up with these seven, earlier plays included
    previous = watch["previous"]
    assert len(previous["x"]) == len(watch["x"]) == 7
    assert previous["x"][-1] == (data.day - timedelta(days=7)).isoformat()
    assert previous["series"][0][-1] == 5
    # a bar chart has no previous period to compare
    assert "previous" not in _chart_data(html, "chart-funnel")
    # and the page loads the packaged library and the chart script, from this site
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/js/charts.js" in html


def test_the_served_chart_library_is_the_pinned_version():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pinned = json.loads((root / "package.json").read_text())["dependencies"]["chart.js"]
    served = root / "static" / "vendor" / "chartjs" / "chart.umd.min.js"
    assert f"Chart.js v{pinned}\n" in served.read_text(encoding="utf-8")[:200]
    assert (served.parent / "LICENSE.md").read_text().startswith("The MIT License")
    # collectstatic's manifest storage would look for a source map that is not shipped
    assert "sourceMappingURL" not in served.read_text(encoding="utf-8")
