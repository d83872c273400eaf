"""Requests in site search: the title, the office, the outcome and, when the applicant allowed
it, the masked question and the answer. Never the applicant."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sunshine.extensions import db
from sunshine.registry import SearchDoc
from sunshine.requests import queries
from sunshine.requests.models import InfoRequest
from sunshine.search.outbox import changed


def document(info: InfoRequest) -> SearchDoc:
    _, question = queries.shown_question(info)
    outcome = info.outcome.label if info.outcome else info.status.label
    body = " ".join([info.office.name, outcome, question, queries.shown_answer(info)])
    return SearchDoc(id=f"request:{info.id}", type="request", title=info.public_title,
                     body=body, url=f"/requests/{info.id}", region_code=info.office_region_code,
                     date=info.received_at.date().isoformat())


def request_documents() -> Iterator[SearchDoc]:
    for info in db.session.execute(queries.public_query()).scalars():
        yield document(info)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The public requests among these ids."""
    query = queries.public_query().where(InfoRequest.id.in_([int(k) for k in keys]))
    for info in db.session.execute(query).scalars():
        yield document(info)


def reindex(requests: Iterable[InfoRequest]) -> None:
    """Before the commit: public requests are to be (re)indexed, held ones removed."""
    found = list(requests)
    changed([f"request:{r.id}" for r in found if not r.held],
            [f"request:{r.id}" for r in found if r.held])
