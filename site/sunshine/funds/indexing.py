"""Published allocations in site search: the source for a rebuild, and updates after commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import current_app
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.records.models import State
from sunshine.registry import SearchDoc
from sunshine.search.index import update


def document(fund: Fund) -> SearchDoc:
    """Only public fields: the name, document number, issuer, type, purpose and region."""
    body = " ".join([fund.document_number, fund.issuer, fund.source_level, fund.fund_type,
                     f"{fund.year}年", fund.region.name if fund.region else "", fund.purpose])
    return SearchDoc(id=f"fund:{fund.id}", type="fund", title=fund.name, body=body,
                     url=fund.url, region_code=fund.region_code,
                     date=fund.issued_on.isoformat())


def fund_documents() -> Iterator[SearchDoc]:
    query = select(Fund).where(Fund.state == State.PUBLISHED.value).order_by(Fund.id)
    for fund in db.session.execute(query.execution_options(yield_per=1000)).scalars():
        yield document(fund)


def reindex_funds(funds: Iterable[Fund]) -> None:
    """After the commit: published funds are (re)indexed, withdrawn ones removed."""
    funds = list(funds)
    if not funds:
        return
    update(current_app.config["SEARCH_INDEX_DIR"],
           [document(f) for f in funds if f.state == State.PUBLISHED.value],
           [f"fund:{f.id}" for f in funds if f.state != State.PUBLISHED.value])
