"""Server-rendered SVG charts: readable without JavaScript, labelled for screen readers
(``role="img"`` with a title and a description), always shown next to the table they draw.

Only published figures are drawn; a hidden figure is drawn as an empty outline marked "<10"
or "×", never as a bar of its true size. Colours are presentation attributes, not inline
styles, because the Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from sunshine.stats.services import Cell, Node, Table

INK, MUTED, LINE = "#1f2328", "#57606a", "#d0d7de"
COLOURS = ("#b3261e", "#0b57d0", "#1a7f37", "#9a6700")


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" width="{width}" height="{height}">',
            f'<title id="{chart_id}-t">{escape(title)}</title>',
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>']


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _short(value: float) -> str:
    if value >= 10000:
        return f"{value / 10000:g}万"
    return f"{value:g}"


def _group(attributes: str, items: list[str]) -> str:
    """Elements that share their presentation attributes, written once on a group."""
    return f"<g {attributes}>{''.join(items)}</g>" if items else ""


def grouped_bars(chart_id: str, table: Table, series: Sequence[str], title: str) -> Markup:
    """Vertical bars, one group per row (e.g. per year), one bar per series column."""
    width, height, left, bottom, top = 640, 300, 56, 40, 28
    plot_w, plot_h = width - left - 12, height - top - bottom
    idx = [table.column(key) for key in series]
    names = [dict(table.columns)[key] for key in series]
    values = [n for r in table.rows for i in idx if (n := r.cells[i].number) is not None]
    top_value = _nice_max(max(values, default=0))
    desc = f"{'、'.join(names)}，按{table.columns[0][1]}。具体数字见旁边的表格。"
    out = _open(chart_id, title, desc, width, height)
    grid, ticks = [], []
    for step in range(5):
        v = top_value * step / 4
        y = top + plot_h - plot_h * step / 4
        grid.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}"/>')
        ticks.append(f'<text x="{left - 6}" y="{y + 4:.1f}">{_short(v)}</text>')
    out.append(_group(f'stroke="{LINE}" stroke-width="1"', grid))
    out.append(_group(f'text-anchor="end" font-size="12" fill="{MUTED}"', ticks))
    group_w = plot_w / max(len(table.rows), 1)
    bar_w = min(group_w * 0.8 / max(len(series), 1), 28)
    bars: list[list[str]] = [[] for _ in series]
    outlines: list[list[str]] = [[] for _ in series]
    markers, labels = [], []
    for gi, row in enumerate(table.rows):
        x0 = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, i in enumerate(idx):
            cell: Cell = row.cells[i]
            x = x0 + si * bar_w
            if cell.number is None:
                if cell.figure is not None:
                    outlines[si].append(f'<rect x="{x:.1f}" y="{top + plot_h - 14}" '
                                        f'width="{bar_w - 2:.1f}" height="14"/>')
                    markers.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 18}">'
                                   f'{escape(cell.display)}</text>')
                continue
            h = plot_h * cell.number / top_value
            bars[si].append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                            f'width="{bar_w - 2:.1f}" height="{h:.1f}"/>')
        labels.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" '
                      f'y="{height - bottom + 18}">{escape(row.label)}</text>')
    for si in range(len(series)):
        out.append(_group(f'fill="{COLOURS[si]}"', bars[si]))
        out.append(_group(f'fill="none" stroke="{COLOURS[si]}" stroke-dasharray="3 2"',
                          outlines[si]))
    out.append(_group(f'text-anchor="middle" font-size="10" fill="{MUTED}"', markers))
    out.append(_group(f'text-anchor="middle" font-size="12" fill="{INK}"', labels))
    for si, name in enumerate(names):
        x = left + si * 130
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[si]}"/>')
        out.append(f'<text x="{x + 16}" y="17" font-size="12" fill="{INK}">{escape(name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def horizontal_bars(chart_id: str, table: Table, key: str, title: str) -> Markup:
    """One bar per row (causes, measures, sizes)."""
    i = table.column(key)
    row_h, left, right = 26, 150, 70
    width = 640
    height = row_h * len(table.rows) + 16
    values = [n for r in table.rows if (n := r.cells[i].number) is not None]
    top_value = max(values, default=0) or 1
    name = dict(table.columns)[key]
    out = _open(chart_id, title, f"{name}，按{table.columns[0][1]}。具体数字见旁边的表格。",
                width, height)
    plot_w = width - left - right
    labels, bars, figures, outlines, markers = [], [], [], [], []
    for ri, row in enumerate(table.rows):
        y = 8 + ri * row_h
        cell = row.cells[i]
        labels.append(f'<text x="{left - 8}" y="{y + 16}">{escape(row.label)}</text>')
        if cell.number is None:
            outlines.append(f'<rect x="{left}" y="{y + 4}" width="24" height="16"/>')
            markers.append(f'<text x="{left + 30}" y="{y + 16}">{escape(cell.display)}</text>')
            continue
        w = max(plot_w * cell.number / top_value, 1)
        bars.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="16"/>')
        figures.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}">{escape(cell.display)}</text>')
    out.append(_group(f'text-anchor="end" font-size="13" fill="{INK}"', labels))
    out.append(_group(f'fill="{COLOURS[0]}"', bars))
    out.append(_group(f'font-size="12" fill="{INK}"', figures))
    out.append(_group(f'fill="none" stroke="{COLOURS[0]}" stroke-dasharray="3 2"', outlines))
    out.append(_group(f'font-size="12" fill="{MUTED}"', markers))
    out.append("</svg>")
    return Markup("".join(out))


def county_map(chart_id: str, counties: list[Node], title: str) -> Markup | None:
    """County centres (longitude, latitude) as circles sized by registered households."""
    from sunshine.stats.vocab import LAST_YEAR

    placed = [(c, c.longitude, c.latitude) for c in counties
              if c.longitude is not None and c.latitude is not None]
    if not placed:
        return None
    lons = [lon for _, lon, _ in placed]
    lats = [lat for _, _, lat in placed]
    lon0, lon1 = min(lons), max(lons)
    lat0, lat1 = min(lats), max(lats)
    # Equirectangular, with longitude shrunk by the cosine of the middle latitude.
    k = math.cos(math.radians((lat0 + lat1) / 2))
    span_x = max((lon1 - lon0) * k, 0.2)
    span_y = max(lat1 - lat0, 0.2)
    width = 640
    pad = 30
    height = int(pad * 2 + (width - 2 * pad) * span_y / span_x)
    height = min(max(height, 240), 640)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    values = [c.fig("reg", LAST_YEAR).value for c, _, _ in placed]
    top = max((v for v in values if v is not None), default=1) or 1
    out = _open(chart_id, title, "圆点为各县（市、区）政府驻地，面积与建档立卡户数成正比；"
                "虚线圆表示数字太小或为防推算不公开。具体数字见旁边的表格。", width, height)
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f8fa"/>')
    shown, hidden = [], []
    for (_, lon, lat), value in zip(placed, values, strict=True):
        x = pad + (lon - lon0) * k * scale
        y = height - pad - (lat - lat0) * scale
        if value is None:
            hidden.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
        else:
            r = 3 + 17 * math.sqrt(value / top)
            shown.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>')
    out.append(_group(f'fill="{COLOURS[0]}" fill-opacity="0.55" stroke="{COLOURS[0]}"', shown))
    out.append(_group(f'fill="none" stroke="{MUTED}" stroke-dasharray="2 2"', hidden))
    out.append("</svg>")
    return Markup("".join(out))
