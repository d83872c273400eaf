"""Publishing many records in one transaction: the demo, ``sunshine import`` and benchmarks.

The same rules and the same public record as the services, without an ORM object per row:
rows are checked in memory (a line or spending never exceeds what is left of its parent),
inserted with Core ``executemany``, appended to the hash chain in order, and added to the
summary tables once per summary row. References between the new rows are list positions:
a line's ``fund`` is the index of its allocation in ``funds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert

from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.funds.models import Fund, FundLine, FundTotal, Spending
from sunshine.funds.records import fund_data, line_data, spending_data
from sunshine.records import ledger, rollup
from sunshine.records.checks import RecordError
from sunshine.records.deadlines import config_deadline
from sunshine.records.models import State

PUBLISHED = State.PUBLISHED.value
ZERO = Decimal(0)


@dataclass
class Batch:
    """Rows to publish together. Each is a dict of model columns (plus the references)."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    funds: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # fund, project: indexes
    spendings: list[dict[str, Any]] = field(default_factory=list)  # fund, line: indexes
    updates: list[dict[str, Any]] = field(default_factory=list)  # project: index
    drafts: list[dict[str, Any]] = field(default_factory=list)  # funds left unpublished


def _insert_returning_ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    table = model.__table__  # Core, not the ORM's bulk path: a third of the time
    result = db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                rows)
    return [row[0] for row in result]


def _check_sums(batch: Batch) -> None:
    """:raise RecordError: when the batch itself would overspend (the database would refuse)."""
    lined = [ZERO] * len(batch.funds)
    spent = [ZERO] * len(batch.funds)
    line_spent = [ZERO] * len(batch.lines)
    for n, line in enumerate(batch.lines):
        lined[line["fund"]] += line["amount"]
        line["_n"] = n
    for spending in batch.spendings:
        spent[spending["fund"]] += spending["amount"]
        if spending.get("line") is not None:
            line = batch.lines[spending["line"]]
            if line["fund"] != spending["fund"]:
                raise RecordError("支出所属的分配不属于同一笔资金")
            line_spent[spending["line"]] += spending["amount"]
    for n, fund in enumerate(batch.funds):
        if lined[n] > fund["amount"] or spent[n] > fund["amount"]:
            raise RecordError(f"资金“{fund['name']}”的分配或支出超过了它的金额")
        fund["lined"], fund["spent"] = lined[n], spent[n]
    for n, line in enumerate(batch.lines):
        if line_spent[n] > line["amount"]:
            raise RecordError("一项分配的支出超过了分配金额")
        line["spent"] = line_spent[n]


def publish(batch: Batch) -> dict[str, int]:
    """Insert and publish everything in ``batch`` in the caller's transaction (no commit).

    :raise RecordError: the batch breaks a money rule.
    """
    from sunshine.projects.bulk import prepare_projects, project_pending, project_totals
    from sunshine.projects.models import Project, ProjectUpdate

    _check_sums(batch)
    now, day = utcnow(), today()
    prepare_projects(batch, now, day)
    project_ids = _insert_returning_ids(Project, [_columns(Project, p) for p in batch.projects])
    for project, pid in zip(batch.projects, project_ids, strict=True):
        project["id"] = pid
    for fund in [*batch.funds, *batch.drafts]:
        fund["city_code"], fund["county_code"] = rollup.city_and_county(fund["region_code"])
        fund.setdefault("deadline", config_deadline(fund["issued_on"], "FUNDS"))
        fund.update(created_at=now, updated_at=now)
    for fund in batch.funds:
        fund.update(state=PUBLISHED, version=1)
        fund.setdefault("published_on", day)
    for fund in batch.drafts:
        fund.update(state=State.DRAFT.value, version=0, lined=ZERO, spent=ZERO,
                    published_on=None)
    fund_ids = _insert_returning_ids(Fund, [_columns(Fund, f) for f in batch.funds])
    _insert_returning_ids(Fund, [_columns(Fund, f) for f in batch.drafts])
    for fund, fid in zip(batch.funds, fund_ids, strict=True):
        fund["id"] = fid
    for line in batch.lines:
        fund = batch.funds[line["fund"]]
        project = batch.projects[line["project"]] if line.get("project") is not None else None
        line.update(fund_id=fund["id"], project_id=project["id"] if project else None,
                    region_code=project["region_code"] if project else line["region_code"],
                    state=PUBLISHED, version=1, created_at=now)
        line.setdefault("purpose", "")
    line_ids = _insert_returning_ids(FundLine, [_columns(FundLine, r) for r in batch.lines])
    for line, lid in zip(batch.lines, line_ids, strict=True):
        line["id"] = lid
    for spending in batch.spendings:
        fund = batch.funds[spending["fund"]]
        line = batch.lines[spending["line"]] if spending.get("line") is not None else None
        spending.update(fund_id=fund["id"], line_id=line["id"] if line else None,
                        project_id=line["project_id"] if line else None,
                        region_code=fund["region_code"], city_code=fund["city_code"],
                        county_code=fund["county_code"], state=PUBLISHED, version=1,
                        created_at=now, note="")
        spending.setdefault("purpose", "")
        spending.setdefault("voucher", "")
    spending_ids = _insert_returning_ids(Spending, [_columns(Spending, s)
                                                    for s in batch.spendings])
    for spending, sid in zip(batch.spendings, spending_ids, strict=True):
        spending["id"] = sid
    for item in batch.updates:
        item.update(project_id=batch.projects[item["project"]]["id"], state=PUBLISHED,
                    version=1, created_at=now)
        item.setdefault("photo", None)
    update_ids = _insert_returning_ids(ProjectUpdate, [_columns(ProjectUpdate, u)
                                                       for u in batch.updates])
    for item, uid in zip(batch.updates, update_ids, strict=True):
        item["id"] = uid

    pending = project_pending(batch)
    pending += [ledger.Pending("fund", f["id"], 1, "publish", fund_data(SimpleNamespace(**f)))
                for f in batch.funds]
    pending += [ledger.Pending("line", r["id"], 1, "publish", line_data(SimpleNamespace(**r)))
                for r in batch.lines]
    pending += [ledger.Pending("spending", s["id"], 1, "publish",
                               spending_data(SimpleNamespace(**s))) for s in batch.spendings]
    pending += project_pending(batch, updates=True)
    ledger.append_many(pending, now)
    if batch.drafts and not pending:
        ledger.touch()

    rollup.bulk(FundTotal, (({"year": f["year"], "source_level": f["source_level"],
                              "fund_type": f["fund_type"]}, f["region_code"],
                             {"allocated": f["amount"], "spent": f["spent"], "funds": 1})
                            for f in batch.funds),
                ["year", "source_level", "fund_type"], ["allocated", "spent", "funds"])
    project_totals(batch)
    return {"funds": len(batch.funds), "drafts": len(batch.drafts),
            "projects": len(batch.projects), "lines": len(batch.lines),
            "spendings": len(batch.spendings), "updates": len(batch.updates),
            "entries": len(pending)}


def _columns(model: Any, row: dict[str, Any]) -> dict[str, Any]:
    names = model.__table__.columns.keys()
    return {k: v for k, v in row.items() if k in names and k != "id"}
