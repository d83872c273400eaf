"""The annual report's first table: what an office published on this site in the year, without
being asked (主动公开), across the features, each count with the records behind it.

Which office published a record:
- articles (news and policy guides) and fund allocations carry an issuer: the office of the
  record's own region whose kind the issuer names (财政 → 财政局, 人民政府 → 人民政府, any other
  issuer or none → 乡村振兴局, which runs this site);
- a fund's lines (to villages and projects) are published with the allocation by the
  乡村振兴局 of the fund's region;
- projects are kept in the county's project library: the county's 乡村振兴局 publishes them
  (a project placed at a city or the province, that level's 乡村振兴局);
- notices (公示公告) belong to the office of the notice's region: the 乡村振兴局 from the
  province down to a county, a town's 人民政府 for the town and its villages.
A record counts in the year it was published (China dates).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)

from sunshine.clock import day_start
from sunshine.content.models import Article, Kind
from sunshine.content.models import Status as ArticleStatus
from sunshine.database import UTCDateTime
from sunshine.extensions import db
from sunshine.funds.models import Fund, FundLine
from sunshine.notices.models import Notice
from sunshine.projects.models import Project
from sunshine.records.models import State
from sunshine.regions import codes
from sunshine.requests.models import Office, OfficeKind

#: The rows of the table, in the report's order: key → label.
SOURCES = {"policies": "政策文件（政策导航）", "news": "工作动态", "notices": "公示公告",
           "funds": "资金下达", "fund_lines": "资金分配（到村到项目）", "projects": "扶贫项目"}


@dataclass(frozen=True)
class Published:
    """One record of a cell: what the cell's page lists."""

    title: str
    url: str
    day: date | datetime


def _issued_by(issuer: Any, kind: OfficeKind) -> ColumnElement[bool]:
    finance, government = issuer.contains("财政"), issuer.contains("人民政府")
    if kind is OfficeKind.FINANCE:
        return finance
    if kind is OfficeKind.GOVERNMENT:
        return and_(government, not_(finance))
    return not_(or_(finance, government))


@functools.cache
def _statements(kind: OfficeKind, level: int) -> dict[str, Select[Any]]:
    """Per row, the select of its records' (id, title, day, what the record's address ends
    with) for an office of ``kind`` at ``level``, its region and year as parameters (built
    once: building a statement costs more than running it); rows the office's kind never
    publishes are left out."""
    code, lo, hi = (bindparam(name, type_=String) for name in ("code", "lo", "hi"))
    first, after = bindparam("first", type_=Date), bindparam("after", type_=Date)
    start, end = bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
    found: dict[str, Select[Any]] = {}
    for key, article_kind in (("policies", Kind.POLICY), ("news", Kind.NEWS)):
        found[key] = select(Article.id, Article.title, Article.published_on,
                            Article.slug).where(
            Article.kind == article_kind, Article.status == ArticleStatus.PUBLISHED,
            Article.region_code == code, _issued_by(Article.issuer, kind),
            Article.published_on >= first, Article.published_on < after)
    if kind is OfficeKind.GOVERNMENT and level == 4 or kind is OfficeKind.RURAL and level <= 3:
        where = Notice.region_code.between(lo, hi) if level == 4 else Notice.region_code == code
        found["notices"] = select(Notice.id, Notice.title, Notice.published_at, Notice.id).where(
            where, Notice.published_at >= start, Notice.published_at < end)
    found["funds"] = select(Fund.id, Fund.name, Fund.published_on, Fund.id).where(
        Fund.region_code == code, Fund.state == State.PUBLISHED.value,
        _issued_by(Fund.issuer, kind), Fund.published_on >= first, Fund.published_on < after)
    if kind is OfficeKind.RURAL:
        found["fund_lines"] = select(FundLine.id, Fund.name, Fund.published_on, Fund.id).join(
            Fund, Fund.id == FundLine.fund_id).where(
            Fund.region_code == code, FundLine.state == State.PUBLISHED.value,
            Fund.state == State.PUBLISHED.value, Fund.published_on >= first,
            Fund.published_on < after)
        found["projects"] = select(Project.id, Project.name, Project.published_on,
                                   Project.id).where(
            or_(Project.county_code == code, Project.region_code == code),
            Project.state == State.PUBLISHED.value, Project.published_on >= first,
            Project.published_on < after)
    found = {key: found[key] for key in SOURCES if key in found}
    found["*"] = union_all(*(select(literal(key), func.count()).select_from(st.subquery())
                             for key, st in found.items())).subquery().select()
    return found


def _params(office: Office, year: int) -> dict[str, Any]:
    lo, hi = codes.subtree_bounds(office.region.code)
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    return {"code": office.region.code, "lo": lo, "hi": hi, "first": first, "after": after,
            "start": day_start(first), "end": day_start(after)}


def counts(office: Office, year: int) -> dict[str, int]:
    """Each row's count, from one statement (a UNION of one count per row)."""
    statements = _statements(office.kind, office.region.level)
    found = {key: 0 for key in statements if key != "*"}
    for key, count in db.session.execute(statements["*"], _params(office, year)):
        found[key] = int(count)
    return found


#: Where each row's records are read: the address before the last column's value.
PATHS = {"policies": "/policies/", "news": "/news/", "notices": "/notices/", "funds": "/funds/",
         "fund_lines": "/funds/", "projects": "/projects/"}


def records(office: Office, year: int, key: str) -> list[Published] | None:
    """The records one row counts, newest first; None for a row the office has none of."""
    statement = _statements(office.kind, office.region.level).get(key) if key != "*" else None
    if statement is None:
        return None
    columns = statement.selected_columns
    rows = db.session.execute(statement.order_by(columns[2].desc(), columns[0].desc()),
                              _params(office, year))
    return [Published(str(title), f"{PATHS[key]}{ref}", day) for _, title, day, ref in rows]
