"""Small charts as server-rendered SVG: no script, readable by screen readers (each chart has a
title and a description, and the page shows the same figures in a table)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from sunshine.records.money import money_text


def bar_chart(rows: list[tuple[str, Decimal, Decimal]], title: str, chart_id: str,
              first: str = "下达", second: str = "支出") -> Markup:
    """Paired bars (allocated and spent) per label, oldest first, amounts in 万元."""
    if not rows:
        return Markup("")
    width, height, left, bottom, top = 640, 240, 70, 28, 16
    top_value = max([max(a, s) for _, a, s in rows] + [Decimal(1)])
    band = (width - left - 10) / len(rows)
    bar = max(4.0, min(36.0, band / 3))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">' + str(escape("；".join(
                 f"{label}：{first} {money_text(a / 10000)} 万元，"
                 f"{second} {money_text(s / 10000)} 万元"
                 for label, a, s in rows))) + "</desc>"]
    plot = height - bottom - top
    for step in range(5):
        y = top + plot - plot * step / 4
        value = top_value * step / 4 / 10000
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                     'class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f'{value:,.0f}</text>')
    for n, (label, allocated, spent) in enumerate(rows):
        x = left + band * n + band / 2
        for k, (value, css) in enumerate(((allocated, "bar-a"), (spent, "bar-b"))):
            h = float(plot * value / top_value)
            parts.append(f'<rect x="{x - bar + k * bar:.1f}" y="{top + plot - h:.1f}" '
                         f'width="{bar - 2:.1f}" height="{h:.1f}" class="{css}"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" class="axis" text-anchor="middle">'
                     f'{escape(label)}</text>')
    parts.append('<text x="4" y="12" class="axis">万元</text></svg>')
    return Markup("".join(parts))


def county_map(points: list[dict[str, Any]], title: str, chart_id: str) -> Markup:
    """Circles at county centres (longitude/latitude), sized by ``value``; an equirectangular
    projection is plenty at the scale of one province."""
    placed = [p for p in points if p.get("lon") is not None and p.get("lat") is not None]
    if not placed:
        return Markup("")
    width, height, pad = 560, 440, 24
    lons = [p["lon"] for p in placed]
    lats = [p["lat"] for p in placed]
    west, north = min(lons), max(lats)
    span_x = (max(lons) - west) or 1.0
    span_y = (north - min(lats)) or 1.0
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    top_value = max([p["value"] for p in placed] + [1])
    parts = [f'<svg class="map" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>']
    for p in sorted(placed, key=lambda p: -p["value"]):
        x = pad + (p["lon"] - west) * scale
        y = pad + (north - p["lat"]) * scale
        r = 3 + 11 * (p["value"] / top_value) ** 0.5 if p["value"] else 2
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" class="dot">'
                     f'<title>{escape(p["name"])}：{p["value"]} 个</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
