"""The demo has requests in every state and with every outcome, late ones, one held for review,
a record three applicants asked about and answers with PDF files and CSV tables, so that the
archive shows substance at once."""

from __future__ import annotations

from sqlalchemy import select

from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.requests import files, filetypes
from sunshine.requests.models import InfoRequest, Outcome, Status
from tests.apps import PASSWORD


def test_the_demo_has_requests_in_every_state(app) -> None:
    build_demo(households=60, seed=3, password=PASSWORD)
    requests = db.session.execute(select(InfoRequest)).scalars().all()
    assert {r.status for r in requests} == set(Status)
    assert {r.outcome for r in requests} == {*Outcome, None}
    assert any(r.was_overdue for r in requests) and any(r.held for r in requests)
    assert any(r.extension_days and r.outcome is Outcome.PARTIAL for r in requests)
    assert any(r.answered_on_time is False for r in requests)
    abouts = [r.about for r in requests if r.about]
    assert any(abouts.count(a) >= 3 for a in abouts)
    attached = db.session.scalars(select(files.RequestFile)).all()
    assert any(f.confirmed for f in attached) and any(not f.confirmed for f in attached)
    for row in attached:
        data = (files.directory() / row.stored).read_bytes()
        assert filetypes.clean_file(data, row.name).content_type == row.content_type
    assert {f.content_type for f in attached} == {"application/pdf", "text/csv"}
    assert any(files.public_files(r) for r in requests)
