"""Demo step: five years of allocations, projects, lines, spending and progress updates in every
county of the demo province, that add up: each project is funded by lines of its county's
allocations, and what is spent follows how far the project has got. Synthetic, deterministic
for a seed; a few recent allocations are left as drafts so that deadlines show on the dashboard.
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from sunshine.clock import today
from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.funds.bulk import Batch, publish
from sunshine.projects.models import STAGES, TERMINATED
from sunshine.regions.models import Region
from sunshine.regions.province import province_code, short_name

log = logging.getLogger(__name__)

YEARS = 5
#: (category, name pattern, implementing bureau, per-household share) for demo projects.
PROJECT_KINDS = [
    ("基础设施", "{v}村道硬化工程", "交通运输局"),
    ("基础设施", "{v}饮水安全巩固提升工程", "水利局"),
    ("产业发展", "{v}百香果种植基地", "农业农村局"),
    ("产业发展", "{v}林下养鸡示范项目", "农业农村局"),
    ("产业发展", "{v}扶贫车间建设", "工业和信息化局"),
    ("易地搬迁", "{v}易地扶贫搬迁安置点配套设施", "发展和改革局"),
    ("教育", "{v}小学教学楼改造", "教育局"),
    ("健康", "{v}村卫生室标准化建设", "卫生健康局"),
    ("就业", "{v}公益性岗位开发", "人力资源和社会保障局"),
    ("危房改造", "{v}农村危房改造", "住房和城乡建设局"),
]
MECHANISMS = ["资产收益归村集体，按年度分红给建档立卡贫困户",
              "优先吸纳贫困劳动力务工，按月发放工资", "改善贫困户出行和生产条件",
              "贫困户以土地入股，享受保底分红", "解决贫困户安全饮水问题"]
PAYEES = ["示范建设工程有限公司（演示）", "示范农业发展合作社（演示）", "示范路桥工程公司（演示）",
          "示范水利工程有限公司（演示）", "示范设备供应有限公司（演示）"]
Source = tuple[str, str, str, str]


def fund_sources() -> list[Source]:
    """(level, type, issuer, document number prefix) of the demo's allocations: the province's
    finance department numbers its documents with the province's short name (桂财农, 云财农);
    ``{c}`` is the county's name."""
    province = db.session.get(Region, province_code())
    name = province.name if province else ""
    issuer = "自治区财政厅" if name.endswith("自治区") else \
        "市财政局" if name.endswith("市") else "省财政厅"
    prefix = f"{short_name()}财农"
    return [("中央", "财政专项扶贫资金", issuer, prefix),
            ("省", "财政专项扶贫资金", issuer, prefix),
            ("县", "统筹整合涉农资金", "{c}财政局", "{c}财发")]


def _wan(rng: random.Random, low: int, high: int) -> Decimal:
    """A round amount between low and high 万元."""
    return Decimal(rng.randrange(low * 10, high * 10) * 1000)


def _demo_villages(ctx: DemoContext) -> dict[str, list[Region]]:
    rows = db.session.execute(select(Region).where(Region.level == 5)
                              .order_by(Region.code)).scalars()
    found: dict[str, list[Region]] = {}
    for village in rows:
        found.setdefault(village.code[:6].ljust(12, "0"), []).append(village)
    return found


def make_funds_and_projects(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed * 104729 + 4)
    names = {r.code: r.name for r in db.session.execute(
        select(Region).where(Region.level == 3)).scalars()}
    villages = _demo_villages(ctx)
    sources = fund_sources()
    last_year = today().year - 1
    years = list(range(last_year - YEARS + 1, last_year + 1))
    batch = Batch()
    for county in ctx.counties:
        county_name = names.get(county, "")
        for year in years:
            _county_year(batch, rng, county, county_name, year, last_year,
                         villages.get(county, []), sources)
    for n, county in enumerate(ctx.counties[:12]):  # drafts waiting to be disclosed
        issued = today() - timedelta(days=(4, 9, 13, 17, 25)[n % 5])
        batch.drafts.append(_fund(rng, county, names.get(county, ""), issued.year, issued,
                                  sources[n % 3], "第二批"))
    counts = publish(batch)
    ctx.summary.update({f"funds_{k}": v for k, v in counts.items()})


def _fund(rng: random.Random, county: str, county_name: str, year: int, issued: date,
          source: Source, batch_name: str) -> dict[str, Any]:
    level, kind, issuer, prefix = source
    return {"year": year, "name": f"{year}年{level}级{kind}（{batch_name}）",
            "document_number": f"{prefix.format(c=county_name)}〔{year}〕{rng.randint(2, 180)}号",
            "issuer": issuer.format(c=county_name), "source_level": level, "fund_type": kind,
            "amount": _wan(rng, 300, 1500), "region_code": county, "issued_on": issued,
            "purpose": f"用于{county_name}脱贫攻坚项目建设和产业扶持，按项目库统筹安排。"}


def _county_year(batch: Batch, rng: random.Random, county: str, county_name: str, year: int,
                 last_year: int, villages: list[Region], sources: list[Source]) -> None:
    first = len(batch.funds)
    for n, source in enumerate(sources[: 2 + (rng.random() < 0.5)]):
        issued = date(year, 2 + 3 * n, rng.randint(1, 25))
        fund = _fund(rng, county, county_name, year, issued, source, "第一批")
        late = rng.random() < 0.12
        fund["published_on"] = issued + timedelta(days=rng.randint(16, 40) if late
                                                  else rng.randint(1, 14))
        batch.funds.append(fund)
    if not villages:
        return
    left = {i: batch.funds[i]["amount"] for i in range(first, len(batch.funds))}
    for _ in range(rng.randint(2, 3)):
        village = rng.choice(villages)
        category, pattern, bureau = rng.choice(PROJECT_KINDS)
        age = last_year - year
        stage = STAGES[min(len(STAGES) - 1, 2 + age + rng.randint(-1, 1))] if age else \
            rng.choice(STAGES[1:4])
        terminated = rng.random() < 0.03
        households = rng.randint(8, 160)
        approved = date(year, rng.randint(3, 6), rng.randint(1, 28))
        project = {
            "name": pattern.format(v=village.name), "category": category,
            "region_code": village.code, "year": year, "budget": _wan(rng, 20, 300),
            "implementing_unit": f"{county_name}{bureau}", "responsible_role": f"{bureau}局长",
            "summary": f"在{village.name}实施{pattern.format(v='')}，{year}年度计划内完成。",
            "targets": f"受益户数不少于 {households} 户，工程验收合格率 100%。",
            "mechanism": rng.choice(MECHANISMS), "beneficiary_households": households,
            "beneficiary_people": households * rng.randint(3, 5),
            "beneficiary_poor_households": rng.randint(households // 4, households // 2 + 1),
            "approved_on": approved, "planned_start": approved + timedelta(days=30),
            "planned_end": approved + timedelta(days=240),
            "stage": TERMINATED if terminated else stage,
            "stage_reason": "选址地质条件不适宜，经县扶贫开发领导小组研究终止"
                            if terminated else "",
            "published_on": approved + timedelta(days=rng.randint(2, 20)),
        }
        reached = STAGES.index(stage)
        if reached >= 2:
            project["actual_start"] = approved + timedelta(days=rng.randint(25, 45))
        if reached >= 3:
            project["actual_end"] = approved + timedelta(days=rng.randint(200, 300))
        index = len(batch.projects)
        batch.projects.append(project)
        for step, name in enumerate(STAGES[1: reached + 1], start=1):
            batch.updates.append({"project": index, "stage": name,
                                  "on": approved + timedelta(days=45 * (step - 1)),
                                  "text": f"项目进入{name}阶段。"})
        if terminated:
            batch.updates.append({"project": index, "stage": TERMINATED,
                                  "on": approved + timedelta(days=60),
                                  "text": "项目终止，已分配资金收回统筹使用。"})
            continue
        _fund_project(batch, rng, index, project, left, reached, approved)
    _fund_towns(batch, rng, villages, left, year, last_year)


def _fund_towns(batch: Batch, rng: random.Random, villages: list[Region],
                left: dict[int, Decimal], year: int, last_year: int) -> None:
    """Much of the rest goes to towns as 产业扶持到户补助, mostly paid out in older years."""
    towns = sorted({v.code[:9] + "000" for v in villages})
    for fund_index, rest in left.items():
        part = (rest * Decimal(str(round(rng.uniform(0.4, 0.8), 2)))).quantize(Decimal("1000"))
        if part <= 0:
            continue
        line_index = len(batch.lines)
        batch.lines.append({"fund": fund_index, "region_code": rng.choice(towns),
                            "amount": part, "purpose": "产业扶持到户补助，按户核定后直接发放"})
        share = Decimal("0.9") if year < last_year \
            else Decimal(str(round(rng.uniform(0.2, 0.6), 2)))
        paid = (part * share).quantize(Decimal("1"))
        if paid > 0:
            batch.spendings.append({
                "fund": fund_index, "line": line_index, "amount": paid,
                "paid_on": date(year, 9, rng.randint(1, 28)), "payee": "乡镇财政所（代发到户）",
                "purpose": "产业扶持到户补助", "voucher": f"PZ{year}-{rng.randint(1000, 9999)}"})


def _fund_project(batch: Batch, rng: random.Random, index: int, project: dict[str, Any],
                  left: dict[int, Decimal], reached: int, approved: date) -> None:
    need = project["budget"]
    for fund_index in sorted(left, key=lambda i: -left[i]):
        if need <= 0 or left[fund_index] <= 0:
            break
        part = min(need, left[fund_index])
        left[fund_index] -= part
        need -= part
        line_index = len(batch.lines)
        batch.lines.append({"fund": fund_index, "project": index, "amount": part,
                            "purpose": project["name"]})
        share = {0: 0.0, 1: 0.0, 2: rng.uniform(0.3, 0.7), 3: rng.uniform(0.85, 1.0)}.get(
            reached, 1.0)
        to_spend = (part * Decimal(str(round(share, 2)))).quantize(Decimal("1"))
        payments = rng.randint(1, 3)
        for n in range(payments):
            value = to_spend // payments if n < payments - 1 else \
                to_spend - (to_spend // payments) * (payments - 1)
            if value <= 0:
                continue
            batch.spendings.append({
                "fund": fund_index, "line": line_index, "amount": value,
                "paid_on": approved + timedelta(days=60 + 50 * n), "payee": rng.choice(PAYEES),
                "purpose": f"{project['name']}第{n + 1}期工程款",
                "voucher": f"PZ{project['year']}-{rng.randint(1000, 9999)}"})
