"""Public pages of 资金公开: summaries and list, one allocation, CSV, the public record, API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from sunshine import pagecache
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.funds import cells, fundpage, queries
from sunshine.funds.models import FUND_TYPES, SOURCE_LEVELS, Fund, FundLine, Spending
from sunshine.funds.rows import FundRow
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.pagecache.versions import Scope
from sunshine.projects.models import Project
from sunshine.records import charts, ledger
from sunshine.records.export import remembered_csv
from sunshine.records.listing import region_arg, region_trail, year_arg
from sunshine.records.money import fen_text, money_text
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.registry import registry
from sunshine.web import int_arg, page_arg, per_page_arg

bp = Blueprint("funds", __name__, url_prefix="/funds")
api_bp = Blueprint("funds_api", __name__, url_prefix="/api/v1")


def filters_from_request() -> queries.FundFilters:
    level = request.args.get("level")
    kind = request.args.get("type")
    return queries.FundFilters(region=region_arg(), year=year_arg(),
                               source_level=level if level in SOURCE_LEVELS else None,
                               fund_type=kind if kind in FUND_TYPES else None)


#: The query arguments of the list page.
INDEX_ARGS = ("region", "year", "level", "type", "after", "before", "page")


@bp.get("/")
def index() -> Response:
    """资金公开: totals by year, level, type and region, a chart, and the allocations."""
    region = region_arg()
    code = region.code if region else None
    # Money and projects show on each other's lists: both features' changes count.
    return pagecache.cached(_index_page,
                            ("funds", code), ("projects", code), args=INDEX_ARGS)


def _index_page() -> str:
    filters = filters_from_request()
    shown, ancestors, children = region_trail(filters.region)
    # The figures and the page of the list, remembered until the data change.
    key = (filters.year, filters.source_level, filters.fund_type, shown.code)
    at = memo.versions(_scopes(filters.region))
    summary = memo.remember("funds-summary", key, at,
                            lambda: queries.summary(filters, children))
    after, before, number = request.args.get("after"), request.args.get("before"), page_arg()
    page = memo.remember("funds-page", (*key, after, before, number), at,
                         lambda: queries.list_funds(filters, after, before, number,
                                                    current_app.config["PAGE_SIZE"],
                                                    total=summary.total.funds))
    chart = charts.bar_chart([(f.label, f.allocated, f.spent) for f in reversed(summary.by_year)],
                             f"{shown.name}历年扶贫资金下达与支出", "fund-chart")
    rate = None
    if shown.level == 3:
        rate = timeliness(Fund, memo.versions(TIMELINESS_SCOPES), shown.code).get(shown.code)
    # One address for every region's link: a url_for each costs more than its row.
    link = url_for("funds.index", region="__REGION__", **filters.args(without="region"))
    tables = {"by_year": cells.figures_rows(summary.by_year),
              "by_level": cells.figures_rows(summary.by_level),
              "by_type": cells.figures_rows(summary.by_type),
              "by_region": cells.figures_rows(
                  summary.by_region, lambda code: link.replace("__REGION__", code))}
    body = render_template("funds/_index_body.html", filters=filters, shown=shown,
                           ancestors=ancestors, children=children, summary=summary, page=page,
                           tables=tables, rows=cells.fund_rows(page.items),
                           chart=chart, rate=rate, levels=SOURCE_LEVELS, types=FUND_TYPES,
                           years=list(range(today().year, 2013, -1)))
    title = "资金公开" + (f" · {shown.name}" if filters.region else "")
    return render_template("records/_page.html", title=title, body=Markup(body))


def _scopes(region: Region | None) -> tuple[Scope, ...]:
    """What the list's figures are read from: the region's money and projects (as its kept
    page), and the region tree (the names of its children)."""
    code = region.code if region else None
    return (("funds", code), ("projects", code), regions.TREE)


@bp.get("/<int:fund_id>")
def detail(fund_id: int) -> Response:
    """One allocation: its document, lines, spending, projects, money trail and history; kept
    until money or a project of its region (or below it) changes."""
    found = fundpage.shown(fund_id)
    if found is None:
        abort(404)
    region = found.fund.region_code
    return pagecache.cached(lambda: _detail(found), ("funds", region), ("projects", region))


def _detail(found: fundpage.Shown) -> str:
    projects = found.projects.values()
    return render_template("funds/detail.html", fund=found.fund, lines=found.lines,
                           projects=found.projects, spending=found.spending,
                           spending_count=found.spending_count, ancestors=found.ancestors,
                           history=found.history,
                           households=sum(p.beneficiary_households for p in projects),
                           poor=sum(p.beneficiary_poor_households for p in projects))


FUND_HEADER = ["编号", "年度", "资金名称", "文号", "下达单位", "来源层级", "资金类型",
               "接收地区代码", "接收地区", "下达金额（元）", "已分配（元）", "已支出（元）",
               "结余（元）", "下达日期", "公开日期", "资金用途", "版本", "网址"]
SPENDING_HEADER = ["编号", "资金编号", "项目编号", "支出日期", "金额（元）", "收款单位", "用途",
                   "凭证号", "地区代码", "版本"]


@bp.get("/export.csv")
@keep(("funds", None), ("projects", None))
def export() -> Response:
    """The list as CSV with the page's filters; ``?detail=spending`` gives the spending rows
    (``&fund=<id>`` for one allocation). Written once, then remembered until money, a
    project or the region names change (``remembered_csv``)."""
    filters = filters_from_request()
    root = request.url_root.rstrip("/")
    if request.args.get("detail") == "spending":
        fund_id = int_arg("fund", 0, 1, 2**63 - 1) or None
        return remembered_csv(
            "funds-spending", SPENDING_HEADER, lambda: (
                [sid, fid, project_id or "", paid_on.isoformat(), fen_text(amount), payee,
                 purpose, voucher, region_code, version]
                for sid, fid, project_id, paid_on, amount, payee, purpose, voucher, region_code,
                version in queries.iter_spending(filters, fund_id)),
            ("funds-spending", root, fund_id) if fund_id else
            ("funds-spending", root, filters.args().get("region"), filters.year),
            _scopes(None if fund_id else filters.region))

    def rows() -> Iterator[list[Any]]:
        # Unpacked: a row's attributes by name cost more than the rest of the line.
        for (fid, year, name, number, issuer, level, kind, code, region, amount, lined, spent,
             issued_on, published_on, purpose, version) in queries.iter_funds(filters):
            yield [fid, year, name, number, issuer, level, kind, code, region, fen_text(amount),
                   fen_text(lined), fen_text(spent), fen_text(amount - spent),
                   issued_on.isoformat(), published_on.isoformat() if published_on else "",
                   purpose, version, f"{root}/funds/{fid}"]

    return remembered_csv("funds", FUND_HEADER, rows,
                          ("funds", root, *sorted(filters.args().items())),
                          _scopes(filters.region))


@bp.get("/ledger")
def ledger_page() -> Response:
    """The public record: the chain head, the newest entries, and how to check it; kept until
    the next entry."""
    return pagecache.cached(_ledger_page, ("funds", None), ("projects", None), args=("before",))


#: Every ledger entry is written together with a change of money or of a project.
LEDGER_SCOPES: tuple[Scope, ...] = (("funds", None), ("projects", None))


def _ledger_page() -> str:
    before = int_arg("before", 0, 1, 2**63 - 1) or None
    seq, head_hash, entries = memo.remember(
        "ledger-page", before, memo.versions(LEDGER_SCOPES),
        lambda: (*ledger.head(), ledger.latest_entries(50, before)), size=32)
    record_types = registry().record_types
    labels = {k: v.label for k, v in record_types.items()}
    return render_template("funds/ledger.html", seq=seq, head_hash=head_hash, entries=entries,
                           rows=cells.ledger_rows(entries, record_types, labels, ledger.ACTIONS),
                           page_size=LEDGER_PAGE)


#: Entries a page of /funds/ledger.json by default, and at most (``?per_page=``): a page stays
#: small enough to send fast, the whole chain of a province is megabytes.
LEDGER_PAGE = 100
LEDGER_PAGE_MAX = 1000


@bp.get("/ledger.json")
@keep(("funds", None), ("projects", None))  # every entry comes with a change of either
def ledger_json() -> Response:
    """The chain a page at a time, oldest first: {"algorithm", "genesis", "head": {seq, hash},
    "after", "per_page", "entries": [{seq, record, id, version, action, prev_hash, hash,
    payload}, ...], "next": the next page's address, or null on the last}; ``payload`` is the
    exact text that was hashed. ``?after=<seq>`` starts after that entry: whoever kept a head
    checks only what came after it."""
    after = int_arg("after", 0, 0, 2**63 - 1)
    per_page = per_page_arg(LEDGER_PAGE, LEDGER_PAGE_MAX)
    body: str = memo.remember(
        "ledger-json", (after, per_page, request.url_root), memo.versions(LEDGER_SCOPES),
        lambda: _ledger_json(after, per_page), size=32)
    return Response(body, mimetype="application/json")


def _ledger_json(after: int, per_page: int) -> str:
    """A page of the chain as JSON text, remembered until the next entry (its link to the
    next page holds the site's address)."""
    seq, head_hash = ledger.head()
    last = min(seq, after + per_page)
    entries = [{"seq": row.seq, "record": row.record_type, "id": row.record_id,
                "version": row.version, "action": row.action, "prev_hash": row.prev_hash,
                "hash": row.hash, "payload": row.payload}
               for row in (ledger.entries_between(after, last) if after < seq else ())]
    following = None
    if last < seq:
        args: dict[str, Any] = {"after": last}
        if per_page != LEDGER_PAGE:
            args["per_page"] = per_page
        following = url_for("funds.ledger_json", _external=True, **args)
    page = {"algorithm": "sha256(prev_hash + payload)", "genesis": ledger.GENESIS,
            "head": {"seq": seq, "hash": head_hash}, "after": after, "per_page": per_page,
            "entries": entries, "next": following}
    return json.dumps(page, ensure_ascii=False)


@bp.get("/timeliness")
def timeliness_page() -> Response:
    """公开及时率 per county: published within the deadline, over everything due; kept until
    money or a project changes (drafts count), or the day."""
    return pagecache.cached(_timeliness_page, ("funds", None), ("projects", None),
                            args=("region",))


def _timeliness_page() -> str:
    region = region_arg()
    if region is not None and region.level > 3:  # the county it is in
        region = regions.get_region(region.code[:6].ljust(12, "0"))
    shown, ancestors, _ = region_trail(region)
    within = shown.code if shown.level > 1 else None
    counties = memo.remember("funds-counties", within, memo.versions([regions.TREE]),
                             lambda: regions.places((3,), within=within), size=256)
    at = memo.versions(TIMELINESS_SCOPES)
    funds = timeliness(Fund, at)
    projects = timeliness(Project, at)
    rows = [(c, funds.get(c.code, queries.Timeliness()),
             projects.get(c.code, queries.Timeliness())) for c in counties]
    return render_template("funds/timeliness.html", shown=shown, ancestors=ancestors, rows=rows,
                           table_rows=cells.timeliness_rows(url_for("funds.index"), rows),
                           days=current_app.config.get("FUNDS_DISCLOSURE_DAYS", 15),
                           project_days=current_app.config.get("PROJECTS_DISCLOSURE_DAYS", 15))


#: Disclosure timeliness counts drafts too: every write to money or projects changes it.
TIMELINESS_SCOPES = (("funds", None), ("projects", None))


def timeliness(model: Any, at: tuple[int, ...], county: str | None = None
               ) -> dict[str, queries.Timeliness]:
    """``queries.timeliness`` (an aggregate over every record), remembered per worker until
    the data changes (``at``: ``memo.versions(TIMELINESS_SCOPES)``, read first) or the day."""
    day = today()
    return memo.remember("funds-timeliness", (model.__tablename__, county, day), at,
                         lambda: queries.timeliness(model, day, county), size=256)


# --- JSON API ------------------------------------------------------------------------------------


def fund_item(fund: Fund | FundRow | SimpleNamespace) -> dict[str, Any]:
    return {"id": fund.id, "year": fund.year, "name": fund.name,
            "document_number": fund.document_number, "issuer": fund.issuer,
            "source_level": fund.source_level, "fund_type": fund.fund_type,
            "amount": money_text(fund.amount), "lined": money_text(fund.lined),
            "spent": money_text(fund.spent), "balance": money_text(fund.balance),
            "region": {"code": fund.region_code, "name": fund.region_name},
            "purpose": fund.purpose, "issued_on": fund.issued_on.isoformat(),
            "published_on": fund.published_on.isoformat() if fund.published_on else None,
            "deadline": fund.deadline.isoformat(), "state": fund.state,
            "version": fund.version, "url": request.url_root.rstrip("/") + fund.url}


@api_bp.get("/funds")
@keep(("funds", None), ("projects", None))
def api_funds() -> Response:
    """Published allocations with the list page's filters, newest first."""
    filters = filters_from_request()
    per_page, number, root = per_page_arg(50), page_arg(), request.url_root
    # A page of items remembered until the data change (its links hold the site's address).
    key = (*sorted(filters.args().items()), number, per_page, root)
    items, shown, total = memo.remember("funds-api", key, memo.versions(_scopes(filters.region)),
                                 lambda: _api_page(filters, number, per_page), size=64)
    return jsonify(items=items, page=shown, per_page=per_page, total=total)


def _api_page(filters: queries.FundFilters, number: int, per_page: int
              ) -> tuple[list[dict[str, Any]], int, int]:
    page = queries.list_funds(filters, None, None, number, per_page)
    return [fund_item(f) for f in page.items], page.number, page.total


@api_bp.get("/funds/<int:fund_id>")
@keep(("funds", None), ("projects", None))
def api_fund(fund_id: int) -> Response:
    found = fundpage.shown(fund_id)
    if found is None:
        abort(404)
    item = fund_item(found.fund)
    item["lines"] = [line_item(line) for line in found.lines]
    item["spending"] = [spending_item(s) for s in found.spending]
    item["spending_count"] = found.spending_count
    item["history"] = [{"seq": v.seq, "version": v.version, "action": v.action,
                        "reason": v.reason, "at": v.at, "hash": v.hash,
                        "changes": [{"field": k, "from": a, "to": b} for k, a, b in v.changes]}
                       for v in found.history]
    return jsonify(item)


def line_item(line: FundLine | SimpleNamespace) -> dict[str, Any]:
    return {"id": line.id, "region": {"code": line.region_code, "name": line.region.name},
            "project_id": line.project_id, "amount": money_text(line.amount),
            "spent": money_text(line.spent), "purpose": line.purpose}


def spending_item(spending: Spending | SimpleNamespace) -> dict[str, Any]:
    return {"id": spending.id, "project_id": spending.project_id,
            "amount": money_text(spending.amount), "paid_on": spending.paid_on.isoformat(),
            "payee": spending.payee, "purpose": spending.purpose, "voucher": spending.voucher,
            "version": spending.version}


def sitemap_entries() -> list[tuple[str, Any]]:
    """Public allocation pages and the record's pages, for /sitemap.xml."""
    from sqlalchemy import select

    from sunshine.records.models import State

    rows = db.session.execute(select(Fund.id, Fund.updated_at).where(
        Fund.state == State.PUBLISHED.value).order_by(Fund.id))
    return [("/funds/", None), ("/funds/ledger", None), ("/funds/timeliness", None),
            *((f"/funds/{fid}", updated) for fid, updated in rows)]
