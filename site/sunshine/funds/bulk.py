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

from sunshine import pagecache
from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.funds.models import Fund, FundLine, FundTotal, Spending
from sunshine.funds.records import fund_data, line_data, spending_data
from sunshine.projects import bulk as projects_bulk
from sunshine.records import ledger, rollup
from sunshine.records.bulk import columns_of, insert_returning_ids
from sunshine.records.checks import RecordError
from sunshine.records.deadlines import config_deadline
from sunshine.records.models import State

PUBLISHED = State.PUBLISHED.value
ZERO = Decimal(0)


@dataclass
class Batch(projects_bulk.Batch):
    """Rows to publish together: projects and their updates, and the money. Each is a dict of
    model columns (plus the references)."""

    funds: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # fund, project: indexes
    spendings: list[dict[str, Any]] = field(default_factory=list)  # fund, line: indexes
    drafts: list[dict[str, Any]] = field(default_factory=list)  # funds left unpublished


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
    _check_sums(batch)
    now, day = utcnow(), today()
    _project_funding(batch)
    projects_bulk.insert_projects(batch, now, day)
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
    fund_ids = insert_returning_ids(Fund, [columns_of(Fund, f) for f in batch.funds])
    insert_returning_ids(Fund, [columns_of(Fund, f) for f in batch.drafts])
    for fund, fid in zip(batch.funds, fund_ids, strict=True):
        fund["id"] = fid
    for line in batch.lines:
        fund = batch.funds[line["fund"]]
        project = batch.projects[line["project"]] if line.get("project") is not None else None
        line.update(fund_id=fund["id"], project_id=project["id"] if project else None,
                    region_code=project["region_code"] if project else line["region_code"],
                    state=PUBLISHED, version=1, created_at=now)
        line.setdefault("purpose", "")
    line_ids = insert_returning_ids(FundLine, [columns_of(FundLine, r) for r in batch.lines])
    for line, lid in zip(batch.lines, line_ids, strict=True):
        line["id"] = lid
    for spending in batch.spendings:
        fund = batch.funds[spending["fund"]]
        paid_from = batch.lines[spending["line"]] if spending.get("line") is not None else None
        spending.update(fund_id=fund["id"], line_id=paid_from["id"] if paid_from else None,
                        project_id=paid_from["project_id"] if paid_from else None,
                        region_code=fund["region_code"], city_code=fund["city_code"],
                        county_code=fund["county_code"], state=PUBLISHED, version=1,
                        created_at=now, note="")
        spending.setdefault("purpose", "")
        spending.setdefault("voucher", "")
    spending_ids = insert_returning_ids(Spending, [columns_of(Spending, s)
                                                    for s in batch.spendings])
    for spending, sid in zip(batch.spendings, spending_ids, strict=True):
        spending["id"] = sid
    projects_bulk.insert_updates(batch, now)

    pending = projects_bulk.project_pending(batch)
    pending += [ledger.Pending("fund", f["id"], 1, "publish", fund_data(SimpleNamespace(**f)))
                for f in batch.funds]
    pending += [ledger.Pending("line", r["id"], 1, "publish", line_data(SimpleNamespace(**r)))
                for r in batch.lines]
    pending += [ledger.Pending("spending", s["id"], 1, "publish",
                               spending_data(SimpleNamespace(**s))) for s in batch.spendings]
    pending += projects_bulk.project_pending(batch, updates=True)
    ledger.append_many(pending, now)
    if batch.drafts and not pending:
        ledger.touch()
    pagecache.changed("funds", None)  # an import: every page

    rollup.bulk(FundTotal, (({"year": f["year"], "source_level": f["source_level"],
                              "fund_type": f["fund_type"]}, f["region_code"],
                             {"allocated": f["amount"], "spent": f["spent"], "funds": 1})
                            for f in batch.funds),
                ["year", "source_level", "fund_type"], ["allocated", "spent", "funds"])
    projects_bulk.project_totals(batch)
    return {"funds": len(batch.funds), "drafts": len(batch.drafts),
            "projects": len(batch.projects), "lines": len(batch.lines),
            "spendings": len(batch.spendings), "updates": len(batch.updates),
            "entries": len(pending)}


def _project_funding(batch: Batch) -> None:
    """What the batch's lines bring to each project, and what its spending takes."""
    funded = [ZERO] * len(batch.projects)
    spent = [ZERO] * len(batch.projects)
    for line in batch.lines:
        if line.get("project") is not None:
            funded[line["project"]] += line["amount"]
    for spending in batch.spendings:
        if spending.get("line") is not None:
            line = batch.lines[spending["line"]]
            if line.get("project") is not None:
                spent[line["project"]] += spending["amount"]
    for n, project in enumerate(batch.projects):
        project.update(funded=funded[n], spent=spent[n])
