"""Demo step: requests to the demo offices in every state and with every outcome, some late,
one extended and answered 部分公开, one held for review, three applicants asking about one
fund (the "often requested" list), and a few answers with PDF files (one for the applicant
only). Deterministic for a seed; dates are relative to the day the
demo is built, so some fall in last year for the annual report's carried-over row."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from sunshine.accounts.models import Role, User
from sunshine.database import utcnow
from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.projects.models import Project
from sunshine.regions.models import Region
from sunshine.requests import files, handling, services, sweep
from sunshine.requests.models import ApplicantType, Delivery, InfoRequest, Outcome
from sunshine.tracked.tracking import seeded_code

log = logging.getLogger(__name__)

NAMES = ["张秀兰", "李国华", "韦美玲", "黄志明", "覃建军", "蒙丽娟", "陆海波", "梁小芳"]
ASKS = [
    ("本村 2024 年衔接资金的使用明细", "请公开本村 2024 年度中央和自治区财政衔接推进乡村振兴补助"
     "资金的分配文件、项目清单和每笔支出的明细。"),
    ("产业奖补资金发放名单", "请公开本乡镇 2024 年到户产业奖补资金的发放标准和发放名单（可隐去"
     "身份证号等个人信息）。"),
    ("饮水安全工程的验收报告", "请公开本县农村饮水安全巩固提升工程的竣工验收报告和审计结论。"),
    ("扶贫车间的租金收入去向", "村里扶贫车间每年的租金收入是多少，用到了哪里，请公开相关账目。"),
    ("小额信贷贴息的审批依据", "请公开脱贫人口小额信贷贴息的审批文件和 2024 年的贴息总额。"),
    ("易地搬迁安置点的建设合同", "请公开易地扶贫搬迁安置点二期工程的施工合同和结算金额。"),
]
ANSWERS = {
    Outcome.DISCLOSED: ("open", "经查，您申请的信息属于本机关公开范围，现将相关文件和明细表随本答复"
                        "一并提供，请查收。"),
    Outcome.PARTIAL: ("third_party", "经查，您申请的资金分配文件和项目清单予以公开，随本答复提供。"
                      "支出明细中涉及施工企业报价的部分，经征求第三方意见，不予公开。"),
    Outcome.WITHHELD: ("process", "您申请的信息为正在研究中的过程性信息，尚未形成正式结论，"
                       "依法不予公开。"),
    Outcome.UNAVAILABLE: ("not_held", "经检索，本机关未制作、获取您申请的信息。"),
    Outcome.NOT_OURS: ("other_office", "您申请的信息由县财政局负责公开，请向该局申请。"),
    Outcome.DUPLICATE: ("repeat", "本机关已于今年就同一内容作出答复，不再重复处理。"),
    Outcome.NOT_HANDLED: ("petition", "您的申请实为对村干部的投诉，请通过投诉举报渠道反映，"
                          "本机关不作为政府信息公开申请处理。"),
}


@dataclass
class Plan:
    step: str  # what happens after filing
    age: int  # days since filing
    office: str  # "county", "government", "town" or "city"


#: Every state and outcome once, then a mix; ages chosen so that each period can be seen.
PLANS = [Plan("received", 2, "county"), Plan("extended", 30, "county"),
         Plan("amend", 3, "town"), Plan("lapsed", 45, "town"), Plan("consulting", 8, "county"),
         Plan("overdue", 50, "government"), Plan("late", 80, "county"),
         *(Plan(o.value, 20 + 9 * i, "county" if i % 2 else "government")
           for i, o in enumerate(ANSWERS)),
         Plan("partial_extended", 40, "county")]

#: How the rest of the demo's requests end, with weights: most are disclosed.
MIX = {"disclosed": 8, "partial": 3, "withheld": 1, "unavailable": 2, "not_ours": 1,
       "duplicate": 1, "not_handled": 1, "received": 3, "late": 1}


def make_requests(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed * 104_729 + 22)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if admin is None or not ctx.counties:
        return
    staff = {u.region_code: u for u in db.session.execute(
        select(User).where(User.role == Role.STAFF)).scalars() if u.region_code}
    now = utcnow()
    fund = db.session.scalar(select(Fund.id).order_by(Fund.id).limit(1))
    project = db.session.scalar(select(Project.id).order_by(Project.id).limit(1))
    abouts = [f"/funds/{fund}" if fund else "", f"/projects/{project}" if project else ""]
    plans = list(PLANS)
    steps, weights = zip(*MIX.items(), strict=True)
    for _ in range(len(ctx.counties) * 2):  # the rest of the province, a mix of outcomes
        step = rng.choices(steps, weights)[0]
        plans.append(Plan(step, rng.randint(1, 15) if step == "received" else
                          rng.randint(25, 400), rng.choice(["county", "government", "city"])))
    first_code = ""
    for n, plan in enumerate(plans):
        county = ctx.counties[0] if n < len(PLANS) else rng.choice(ctx.counties)
        office = _office(plan.office, county)
        subject, body = rng.choice(ASKS)
        name = rng.choice(NAMES)
        code = seeded_code(rng)
        first_code = first_code or code
        info, _ = services.file_request(services.Filing(
            office_region_code=office[0], office_kind=office[1], subject=subject, body=body,
            name=name, phone=f"138{rng.randint(0, 99_999_999):08d}",
            email=f"demo{n}@example.com" if n % 3 == 0 else "",
            delivery=rng.choice(list(Delivery)) if n % 3 == 0 else Delivery.ONLINE,
            address="县城解放路 1 号", applicant_type=ApplicantType.PERSON if n % 4
            else rng.choice(list(ApplicantType)), consent_to_publish=rng.random() < 0.75,
            about=abouts[n % 2] if n % 5 == 0 else ""),
            now=now - timedelta(days=plan.age, hours=rng.randint(0, 8)), code=code)
        actor = staff.get(county, admin) if office[0].startswith(county[:6]) else admin
        _walk(info, plan, actor, now, rng, attach=n < len(PLANS))
    _often(ctx, abouts[0], admin, now, rng)
    _held(ctx, now, rng)
    overdue = sweep.run(now)[0]
    ctx.summary["info_requests"] = len(plans) + 4
    log.info("demo requests: %d, %d overdue; a tracking code to try: %s", len(plans) + 4,
             overdue, first_code)


def _office(kind: str, county: str) -> tuple[str, str]:
    if kind == "city":
        return county[:4].ljust(12, "0"), "rural"
    if kind == "town":
        town = db.session.scalar(select(Region.code).where(
            Region.parent_code == county).order_by(Region.code).limit(1))
        return (town or county), "government"
    return county, "government" if kind == "government" else "rural"


def tiny_pdf(*lines: str) -> bytes:
    """A one-page PDF showing ``lines`` (ASCII) in Helvetica, written by hand: enough for a
    reader to open, no library needed."""
    text = " ".join(f"({line}) Tj 0 -18 Td" for line in lines)
    stream = f"BT /F1 14 Tf 72 760 Td {text} ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def spending_table(request_id: int) -> bytes:
    """A small CSV table of spending by village, as an office's software exports it (GBK)."""
    rows = ["村,项目,金额（元）,拨付日期"] + [
        f"第{n}村,{item},{(request_id * 7919 + n * 104729) % 90000 + 10000}.00,2024-0{n}-15"
        for n, item in enumerate(("道路硬化", "饮水工程", "产业补助"), 1)]
    return ("\r\n".join(rows) + "\r\n").encode("gbk")


def _uploads(info: InfoRequest, outcome: Outcome) -> list[files.Upload]:
    """The documents of a demo answer: a checked PDF and table for everybody, and for 部分公开
    the original with names in it, for the applicant only."""
    if outcome not in files.ATTACHING:
        return []
    shown = [files.Upload(f"答复附件-{info.id}.pdf", tiny_pdf(
        "Sunshine demo", f"Answer to request {info.id}", "Fund allocation and spending list"),
        confirmed=True),
        files.Upload(f"资金支出明细-{info.id}.csv", spending_table(info.id), confirmed=True)]
    if outcome is Outcome.PARTIAL:
        shown.append(files.Upload("发放名单（含个人信息，仅供申请人）.pdf", tiny_pdf(
            "Sunshine demo", f"Request {info.id}: list with names, for the applicant only"),
            confirmed=False))
    return shown


def _walk(info: InfoRequest, plan: Plan, actor: User, now: datetime,
          rng: random.Random, attach: bool = False) -> None:
    """Take the request as far as its plan says, at plausible times; with ``attach`` an answer
    that sends documents comes with PDF files."""
    t = info.received_at + timedelta(days=1, hours=2)
    if plan.step in ("received", "overdue"):
        return
    if plan.step == "extended":
        handling.extend(info, actor, 15, "需要向多个乡镇调取资料", now=t + timedelta(days=20))
        return
    if plan.step in ("amend", "lapsed"):
        handling.ask_amend(info, actor, "请写明所指的是哪一个村、哪一年度的资金", now=t)
        if plan.step == "lapsed":
            handling.answer(info, actor, handling.Answer(
                Outcome.LAPSED, "no_amend", "申请人在补正期限内未补正，视为放弃申请。"),
                now=now - timedelta(days=1), reindex=False)
        return
    if plan.step == "consulting":
        handling.start_consult(info, actor, "项目施工企业", now=t)
        return
    if plan.step == "partial_extended":
        handling.extend(info, actor, 10, "涉及多个年度的账目，需要调档", now=t + timedelta(days=15))
        handling.start_consult(info, actor, "项目施工企业", now=t + timedelta(days=16))
        handling.end_consult(info, actor, now=t + timedelta(days=22))
        handling.answer(info, actor, handling.Answer(
            Outcome.PARTIAL, "third_party", ANSWERS[Outcome.PARTIAL][1],
            withheld="施工企业的分项报价单"), now=t + timedelta(days=30), reindex=False,
            uploads=_uploads(info, Outcome.PARTIAL) if attach else [])
        return
    outcome = Outcome(plan.step) if plan.step in {o.value for o in Outcome} \
        else rng.choice(list(ANSWERS))
    basis, text = ANSWERS[outcome]
    days = min(plan.age - 1, 40 if plan.step == "late" else rng.randint(3, 20))
    handling.answer(info, actor, handling.Answer(
        outcome, basis, text, withheld="施工企业的分项报价单" if outcome is Outcome.PARTIAL
        else "", referred_to="县财政局（电话 0771-1234567）" if outcome is Outcome.NOT_OURS
        else ""), now=info.received_at + timedelta(days=max(days, 1)), reindex=False,
        uploads=_uploads(info, outcome) if attach else [])


def _often(ctx: DemoContext, about: str, admin: User, now: datetime,
           rng: random.Random) -> None:
    """Three applicants ask the first county's office about the same fund."""
    if not about:
        return
    for n, name in enumerate(NAMES[:3]):
        services.file_request(services.Filing(
            office_region_code=ctx.counties[0], office_kind="rural",
            subject="这笔扶贫资金的支出明细", body=f"请公开本站 {about} 这笔资金的每笔支出明细。",
            name=name, phone=f"137{rng.randint(0, 99_999_999):08d}", consent_to_publish=True,
            about=about), now=now - timedelta(days=4 + n), code=seeded_code(rng))


def _held(ctx: DemoContext, now: datetime, rng: random.Random) -> None:
    """One request filled in too fast: it waits in the review queue."""
    services.file_request(services.Filing(
        office_region_code=ctx.counties[0], office_kind="rural", subject="资金", body="资金",
        name="测试", email="bot@example.com", suspicion="too_fast"),
        now=now - timedelta(days=1), code=seeded_code(rng))
