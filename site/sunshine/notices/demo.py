"""Demo step: notices of the first county in every state, drawn from the demo register, with
objections (some ruled), a project and a fund notice, a result announcement, a withdrawn
notice and a draft. Dates are relative to the day the demo is built; deterministic per seed.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from sunshine import clock
from sunshine.accounts.models import User
from sunshine.complaints.demo import demo_code
from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.notices import drafting, objections, periods, services
from sunshine.notices.models import Notice, NoticeKind, Ruling
from sunshine.projects.models import Project
from sunshine.records.models import State
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import rollup, vocab
from sunshine.stats.models import Household

log = logging.getLogger(__name__)

#: A list this long in one village (or town) is enough for a demo notice.
ENOUGH = 8

BODIES = {
    NoticeKind.IDENTIFICATION: "经农户申请、村民代表大会民主评议、村委会和驻村工作队核实，"
                               "拟将以下农户识别为建档立卡贫困户，现予公示。",
    NoticeKind.EXIT: "经入户核验，以下贫困户家庭人均纯收入稳定超过国家扶贫标准，"
                     "实现“两不愁三保障”，经村民代表大会评议，拟退出，现予公示。",
    NoticeKind.MONITORING: "经排查核实，以下农户因病、因灾等原因返贫，拟纳入监测帮扶，现予公示。",
}
#: Objections with the ruling staff give them: (text, ruling, reason); None = still waiting.
HOUSE = ("这户家里在县城买了房，还有一辆小车，不符合条件。", Ruling.DISMISSED,
         "经入户核实，该户房屋为多年前自建的旧房，车辆为亲属所有，家庭人均纯收入低于标准，符合条件。")
WORK = ("这户的收入主要靠外出务工，家里两个劳动力都在广东打工，收入不低。", Ruling.UPHELD,
        "经核实，该户家庭成员有稳定务工收入，人均纯收入高于标准，不符合条件，从名单中移出。")
MEETING = ("评议会我们组没有人参加，名单是村干部定的，请核实评议程序。", Ruling.DISMISSED,
           "经核查会议记录和签到表，评议会各组均有代表参加，程序符合规定。")
LEFT_OUT = ("我家老人常年生病、孩子在上学，申请了但名单里没有我家。", None, "")
SPENDING = ("资金公示里的村道项目去年就说修，到现在还没有动工，钱用到哪里去了？", None, "")


def _years(kind: NoticeKind, row: Any) -> tuple[int, ...]:
    """The years in which a household (entered, exited, returned, reexited) fits ``kind``."""
    entered, exited, returned, reexited = row
    if kind is NoticeKind.IDENTIFICATION:
        return (entered,)
    if kind is NoticeKind.EXIT:
        return tuple(y for y in (exited, reexited) if y)
    return (returned,) if returned else ()


def _best(kind: NoticeKind, county: str, rows: list[Any], skip: set[tuple[NoticeKind, int]]
          ) -> tuple[str, int, int]:
    """Where and for which year to list households of ``kind``: the smallest region (a
    village, then a town, then the county: real lists are per village) that has at least
    ``ENOUGH`` of them in some year not yet used for the kind; else wherever there are most.
    ``rows`` are the county's households as (village, entered, exited, returned, reexited).
    Returns (region, year, count)."""
    counts: Counter[tuple[str, int]] = Counter()
    for village, *events in rows:
        for year in _years(kind, events):
            if (kind, year) not in skip:
                for region in (village, village[:9].ljust(12, "0"), county):
                    counts[(region, year)] += 1
    best = (county, vocab.LAST_YEAR, 0)
    for level in (5, 4, 3):
        for (region, year), count in sorted(counts.items()):
            if codes.level_of(region) == level and count > best[2]:
                best = (region, year, count)
        if best[2] >= ENOUGH:
            return best
    return best


def _first_published(model: type[drafting.Record], lo: str,
                     hi: str) -> list[drafting.Record]:
    """Three published records with region codes from ``lo`` to ``hi``, oldest first."""
    return list(db.session.scalars(select(model).where(
        model.state == State.PUBLISHED.value, model.region_code.between(lo, hi))
        .order_by(model.id).limit(3)))


def _at(day: date, hour: int = 9) -> datetime:
    return clock.day_start(day) + timedelta(hours=hour)


class _Maker:
    def __init__(self, ctx: DemoContext, staff: User, county: str) -> None:
        self.ctx, self.staff, self.county = ctx, staff, county
        self.rng = random.Random(ctx.seed * 7919 + 7)
        self.now = periods.now()
        self.today = clock.china_date(self.now)
        self.used: set[tuple[NoticeKind, int]] = set()
        lo, hi = rollup.village_range(county)
        self.rows = list(db.session.execute(select(
            Household.village_code, Household.entered, Household.exited, Household.returned,
            Household.reexited).where(Household.id.between(lo, hi), Household.removed == 0)))

    def households(self, kind: NoticeKind, start: date, title: str) -> Notice | None:
        region, year, count = _best(kind, self.county, self.rows, self.used)
        if count == 0:
            return None
        self.used.add((kind, year))
        notice = services.create_draft(self.staff, services.DraftFields(
            kind=kind.value, region_code=region, title=title.format(
                region=db.session.get_one(Region, region).name, year=year),
            body=BODIES[kind], start_on=start, register_year=year), now=self.at(start, 8))
        found, _ = drafting.candidates(self.staff, notice)
        drafting.add_households(self.staff, notice, [c.household_id for c in found[:60]])
        return notice

    def records(self, kind: NoticeKind, start: date) -> Notice | None:
        lo, hi = self.county[:6].ljust(12, "0"), self.county[:6].ljust(12, "9")
        items: list[Project | Fund] = []
        if kind is NoticeKind.PROJECT:
            items += _first_published(Project, lo, hi)
        else:
            items += _first_published(Fund, lo, hi)
        if not items:
            return None
        name = db.session.get_one(Region, self.county).name
        noun = "扶贫项目" if kind is NoticeKind.PROJECT else "扶贫资金"
        notice = services.create_draft(self.staff, services.DraftFields(
            kind=kind.value, region_code=self.county, title=f"{name}{items[0].year}年度{noun}公示",
            body=f"现将{name}{noun}安排情况予以公示，接受社会监督。", start_on=start),
            now=self.at(start, 8))
        for item in items:
            drafting.link_record(self.staff, notice, item.id)
        return notice

    def publish(self, notice: Notice | None) -> None:
        if notice is not None:
            services.publish(self.staff, notice, now=self.at(notice.start_on, 9), reindex=False)

    def at(self, day: date, hour: int) -> datetime:
        """That hour of ``day``, or now for a day still to come (nothing happens later)."""
        return min(_at(day, hour), self.now)

    def object(self, notice: Notice | None, day: int, scenario: tuple[str, Ruling | None, str],
               entry: int | None = None, ruled_on: int | None = None) -> None:
        """File an objection on ``day`` of the period; rule on it on ``ruled_on``."""
        if notice is None:
            return
        text, ruling, reason = scenario
        target = notice.entries[entry].id if entry is not None and entry < len(notice.entries) \
            else None
        case, _ = objections.file_objection(
            notice, text, target, now=_at(notice.start_on + timedelta(days=day - 1), 15),
            code=demo_code(self.rng))
        if ruling is not None and ruled_on is not None:
            objections.rule(self.staff, notice, case.id, ruling.value, reason,
                            now=self.at(notice.start_on + timedelta(days=ruled_on - 1), 11))


def make_notices(ctx: DemoContext) -> None:
    if not ctx.counties:
        return
    county = ctx.counties[0]
    staff = db.session.scalar(select(User).where(User.username == f"staff-{county}"))
    if staff is None:
        return
    make = _Maker(ctx, staff, county)
    t = make.today
    d = timedelta
    # In id order: the first is open, with objections, for the pages the browser checks.
    open_id = make.households(NoticeKind.IDENTIFICATION, t - d(days=3),
                              "{region}{year}年贫困户识别公示")
    expired = make.households(NoticeKind.EXIT, t - d(days=12), "{region}{year}年贫困户脱贫退出公示")
    earlier = make.households(NoticeKind.IDENTIFICATION, t - d(days=40),
                              "{region}{year}年贫困户识别公示（第一批）")
    pending = make.households(NoticeKind.MONITORING, t + d(days=2),
                              "{region}{year}年返贫监测对象公示") \
        or make.households(NoticeKind.EXIT, t + d(days=2), "{region}{year}年脱贫退出公示（补充）")
    project = make.records(NoticeKind.PROJECT, t - d(days=2))
    fund = make.records(NoticeKind.FUND, t - d(days=14))
    withdrawn = make.households(NoticeKind.EXIT, t - d(days=5),
                                "{region}{year}年脱贫退出公示（第二批）")
    draft = make.households(NoticeKind.IDENTIFICATION, t + d(days=1),
                            "{region}{year}年贫困户识别公示（草稿）")
    for notice in (open_id, expired, earlier, pending, project, fund, withdrawn):
        make.publish(notice)
    # Objections: some ruled, some waiting; the earlier notice is finalized with its rulings.
    make.object(open_id, 2, HOUSE, entry=0, ruled_on=3)
    make.object(open_id, 3, LEFT_OUT)
    make.object(expired, 3, WORK, entry=1, ruled_on=7)
    make.object(expired, 4, MEETING, ruled_on=8)
    make.object(earlier, 2, WORK, entry=0, ruled_on=6)
    make.object(earlier, 5, HOUSE, entry=1, ruled_on=7)
    make.object(fund, 5, SPENDING)
    if earlier is not None:
        objections.finalize(staff, earlier, f"关于“{earlier.title}”的结果公告",
                            "公示期满，对公示期间收到的异议已逐一调查核实，现将识别结果予以公告。",
                            now=_at(earlier.end_on + d(days=2)), reindex=False)
    if withdrawn is not None:
        services.withdraw(staff, withdrawn, "名单中有户的脱贫年度填写有误，重新评议后另行公示。",
                          now=_at(t - d(days=4)), reindex=False)
    count = db.session.scalar(select(func.count()).select_from(Notice)) or 0
    ctx.summary["notices"] = count
    log.info("demo notices: %d (draft %s)", count, draft.id if draft else "-")
