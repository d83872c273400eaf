"""The compliance page's table of offices is written in Python with exactly the HTML of the
template loop it replaced."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template_string

from sunshine.regions.services import Place
from sunshine.requests.cells import score_rows
from sunshine.requests.models import Office, OfficeKind, Outcome
from sunshine.requests.timeliness import Score

#: The loop the compliance page had in its template.
LOOP = (Path(__file__).parent / "compliance_loop.html").read_text(encoding="utf-8")


def test_the_offices_written_in_python_are_the_loops_html(app: Flask) -> None:
    county = Place("450102000000", "<兴宁> & 区", 3, "450100000000", None, None)
    town = Place("450102001000", "民生街道", 4, "450102000000", None, None)
    answered = Score(office=Office(county, OfficeKind.RURAL), received=7, answered=5,
                     on_time=4, late=1, overdue_open=1,
                     by_outcome={Outcome.DISCLOSED: 3, Outcome.PARTIAL: 2}, days=[3, 8, 9])
    quiet = Score(office=Office(town, OfficeKind.GOVERNMENT))
    with app.test_request_context("/requests/compliance"):
        loop = render_template_string(LOOP, scores=[answered, quiet], year=2026,
                                      outcomes=[(o, o.value) for o in Outcome])
        assert str(score_rows([answered, quiet], "/requests/", "/requests/report/", 2026)) \
            == loop
    assert "&lt;兴宁&gt; &amp; 区乡村振兴局" in loop and "80.0%" in loop and ">8.0<" in loop
    assert "—" in loop
