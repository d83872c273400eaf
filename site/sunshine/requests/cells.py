"""The compliance page's table of offices, written in Python: a row with a cell per outcome
through a Jinja loop costs the page more than its queries. It gives exactly the HTML of the
loop it stands for."""

from __future__ import annotations

from markupsafe import Markup, escape

from sunshine.requests.models import Outcome
from sunshine.requests.timeliness import Score


def score_rows(scores: list[Score], archive: str, reports: str, year: int) -> Markup:
    """A row per office: its counts, on-time rate, median working days, a link per outcome
    to the archive (filtered to the office) and a link to its annual report. ``archive`` and
    ``reports`` are the archive's and the reports' addresses; office keys and outcome values
    are URL-safe."""
    out = []
    for s in scores:
        key = s.office.key
        office_url = escape(f"{archive}?office={key}")
        rate, median, counts = s.on_time_rate, s.median_days, s.by_outcome
        outcomes = "".join(
            f'<td class="num"><a href="{office_url}&amp;outcome={escape(o.value)}">{n}</a></td>'
            if (n := counts.get(o)) else '<td class="num">0</td>' for o in Outcome)
        out.append(
            "    <tr>\n"
            f'      <th scope="row"><a href="{office_url}">{escape(s.office.name)}</a></th>\n'
            f'      <td class="num">{s.received}</td><td class="num">{s.answered}</td>\n'
            f'      <td class="num">{"—" if rate is None else f"{rate}%"}</td>\n'
            f'      <td class="num">{s.overdue_open}</td>\n'
            f'      <td class="num">{"—" if median is None else median}</td>\n'
            f"{outcomes}"
            f'      <td><a href="{escape(reports)}{escape(key)}/{year}">{year} 年报告</a></td>\n'
            "    </tr>\n")
    return Markup("".join(out))
