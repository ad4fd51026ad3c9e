"""Server-rendered SVG charts: no JavaScript, readable by screen readers.

Each chart is an ``<svg role="img">`` with a one-sentence ``aria-label``
generated from its numbers, and the page shows the same numbers in a data
table next to it. Series differ by dash pattern and marker, not colour only.

Each chart also carries its numbers as a JSON data block (Django's
``json_script``: data, not script, so the CSP allows it); static/js/charts.js
draws an interactive chart from it over the SVG where JavaScript runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape, format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

WIDTH, HEIGHT = 720, 240
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 16, 36
DASHES = ["", "6 4", "2 3", "10 3 2 3"]
COLOURS = ["#1f5fa8", "#c2410c", "#15803d", "#7c3aed"]


@dataclass
class Chart:
    chart_id: str
    title: str
    aria_label: str
    svg: SafeString
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def html(self) -> SafeString:
        """The SVG followed by its numbers for static/js/charts.js."""
        return format_html("{}{}", self.svg, json_script(self.data, f"{self.chart_id}-data"))


@dataclass(frozen=True)
class Previous:
    """The same series over the period just before: its x labels and values."""

    x: Sequence[str]
    series: Sequence[list[float | None]]


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def describe(title: str, x: Sequence[str], values: Sequence[float | None]) -> str:
    """'Title, a–b: low L on d, high H on d, latest Z' (or 'no data')."""
    points = [(label, v) for label, v in zip(x, values, strict=True) if v is not None]
    if not points:
        return gettext("%(title)s: no data in this period.") % {"title": title}
    low = min(points, key=lambda p: p[1])
    high = max(points, key=lambda p: p[1])
    return gettext(
        "%(title)s, %(first)s to %(last)s: low %(low)s on %(low_day)s, "
        "high %(high)s on %(high_day)s, latest %(latest)s."
    ) % {
        "title": title,
        "first": x[0],
        "last": x[-1],
        "low": _fmt(low[1]),
        "low_day": low[0],
        "high": _fmt(high[1]),
        "high_day": high[0],
        "latest": _fmt(points[-1][1]),
    }


def _axis(top: float, x: Sequence[str]) -> list[str]:
    parts = []
    plot_h = HEIGHT - PAD_T - PAD_B
    for i in range(5):
        value = top * i / 4
        y = PAD_T + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(_fmt(value))}</text>"
        )
    if x:
        step = max(1, len(x) // 6)
        plot_w = WIDTH - PAD_L - PAD_R
        for i in range(0, len(x), step):
            px = PAD_L + (plot_w * i / max(len(x) - 1, 1))
            parts.append(
                f'<text x="{px:.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11">'
                f"{escape(x[i])}</text>"
            )
    return parts


def line_chart(
    *,
    chart_id: str,
    title: str,
    x: Sequence[str],
    series: Sequence[tuple[str, list]],
    previous: Previous | None = None,
) -> Chart:
    """Lines over a shared x axis; the label describes the first series.

    ``previous`` (same series, the period before) is not drawn in the SVG;
    the interactive chart offers it as a compare-to-previous overlay.
    """
    values = [v for _, vs in series for v in vs if v is not None]
    top = max(values, default=0) or 1.0
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    parts = _axis(top, x)
    for k, (name, vs) in enumerate(series):
        points = []
        for i, v in enumerate(vs):
            if v is None:
                continue
            px = PAD_L + plot_w * i / max(len(vs) - 1, 1)
            py = PAD_T + plot_h - plot_h * v / top
            points.append(f"{px:.1f},{py:.1f}")
        colour, dash = COLOURS[k % 4], DASHES[k % 4]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}" points="{" ".join(points)}"><title>{escape(name)}'
            "</title></polyline>"
        )
        parts.append(
            f'<text x="{PAD_L + 8 + 130 * k}" y="{PAD_T + 4}" font-size="11" fill="{colour}">'
            f"{['━', '╍', '┅', '━·'][k % 4]} {escape(name)}</text>"
        )
    # with no series (a split with nothing to show) the days alone are "no data", not a 500
    label = describe(series[0][0], x, series[0][1]) if series else describe(title, [], [])
    chart = _wrap(chart_id, title, label, parts)
    chart.data = {
        "kind": "line",
        "x": list(x),
        "series": [{"name": str(name), "values": list(vs)} for name, vs in series],
        "labels": _labels(),
    }
    if previous is not None:
        chart.data["previous"] = {"x": list(previous.x), "series": list(previous.series)}
    return chart


def bar_chart(
    *, chart_id: str, title: str, labels: Sequence[str], values: Sequence[float | None]
) -> Chart:
    """Horizontal bars with their value written at the end."""
    top = max((v for v in values if v is not None), default=0) or 1.0
    row_h = 28
    height = PAD_T + row_h * max(len(labels), 1) + 8
    parts = []
    for i, (name, v) in enumerate(zip(labels, values, strict=True)):
        y = PAD_T + i * row_h
        w = (WIDTH - 260) * (v or 0) / top
        parts.append(
            f'<text x="180" y="{y + 18}" text-anchor="end" font-size="12">{escape(name)}</text>'
            f'<rect x="188" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{192 + w:.1f}" y="{y + 18}" font-size="12">'
            f"{escape(gettext('in progress') if v is None else _fmt(v))}</text>"
        )
    label = describe(title, list(labels), list(values))
    chart = _wrap(chart_id, title, label, parts, height=height)
    chart.data = {
        "kind": "bar",
        "x": [str(name) for name in labels],
        "series": [{"name": str(title), "values": list(values)}],
        "labels": _labels(),
    }
    return chart


def _labels() -> dict[str, str]:
    """The interactive chart's own words, in the page's language."""
    return {
        "previous": gettext("previous period"),
        "compare": gettext("Compare with the previous period"),
        "series": gettext("Show or hide a series:"),
        "no_value": gettext("no data"),
    }


def _wrap(chart_id: str, title: str, label: str, parts: list[str], height: int = HEIGHT) -> Chart:
    svg = format_html(
        '<svg id="{}" class="kf-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">{}</svg>',
        chart_id,
        label,
        WIDTH,
        height,
        mark_safe("".join(parts)),
    )
    return Chart(chart_id=chart_id, title=title, aria_label=label, svg=svg)
