"""Published Q&A in site search: only the anonymized question and the official reply.

Nothing else of a case goes in: not the original text, not the village, never the reporter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed

if TYPE_CHECKING:
    from sunshine.complaints.models import Case


def county_or_above(code: str) -> str:
    """The county of a town or village; a county or anything above it, itself."""
    return code[:6].ljust(12, "0") if code[6:] != "000000" else code


def public_region_code(case: Case) -> str:
    """Published cases name the county at most: a village, or a town, is small enough to point
    at people."""
    return county_or_above(case.region_code)


def public_unit_code(case: Case) -> str | None:
    """The unit named beside a published answer: the handling unit when it is a county or
    above; a town's answer is left unnamed, as the town is."""
    code = case.handling_region_code
    return code if county_or_above(code) == code else None


def answer_url(case: Case) -> str:
    return f"/complaints/answers/{case.id}"


def document(case: Case) -> SearchDoc:
    body = " ".join([case.kind.label, case.category, case.public_question, case.public_answer])
    published = case.published_at.date().isoformat() if case.published_at else ""
    return SearchDoc(id=f"case:{case.id}", type="case", title=case.public_title, body=body,
                     url=answer_url(case), region_code=public_region_code(case), date=published)


def _is_public(case: Case) -> bool:
    return case.published_at is not None and case.consent_to_publish


def case_documents() -> Iterator[SearchDoc]:
    from sunshine.complaints.services import published_query

    for case in db.session.execute(published_query()).scalars():
        yield document(case)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The published cases among these ids."""
    from sunshine.complaints.models import Case

    rows = db.session.execute(select(Case).where(Case.id.in_([int(k) for k in keys])))
    for case in rows.scalars():
        if _is_public(case):
            yield document(case)


def reindex(cases: Iterable[Case]) -> None:
    """Before the commit: published cases are to be (re)indexed, the others removed."""
    cases = list(cases)
    changed([f"case:{c.id}" for c in cases if _is_public(c)],
            [f"case:{c.id}" for c in cases if not _is_public(c)])
