"""Demo step: cases across the demo province in every state, some overdue, some rated, a few
published as Q&A and one waiting in the moderation queue. Deterministic for a seed (the dates
are relative to the day the demo is built)."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import select

from sunshine.accounts.models import Role, User
from sunshine.complaints import followup, handling, services
from sunshine.complaints.models import CATEGORIES, PUBLIC_KINDS, Case, Rating
from sunshine.database import utcnow
from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.notify import subscriptions
from sunshine.regions import codes
from sunshine.tracked.tracking import seeded_code

log = logging.getLogger(__name__)

SUBJECTS = {
    "资金使用": [
        ("产业补助没有发到户",
         "去年申报的产业奖补资金，村里说已经下来了，但一直没有发到我们手上。"),
        ("扶贫资金用途不清楚", "村里修路的扶贫资金公示只有总数，想知道具体用在了哪些地方。")],
    "项目建设": [
        ("饮水工程建好后一直不通水", "村里的饮水安全工程去年就完工验收了，但水管一直没有通水。"),
        ("村道硬化质量差", "新修的村道不到半年就开裂，下雨天坑坑洼洼，希望有关部门查一查。")],
    "识别不准": [
        ("有车有房的人家被评为贫困户", "村里有一户在县城有房、家里有小车，却一直享受贫困户待遇。"),
        ("家里困难却没有被识别", "家里老人长期生病，孩子在上学，收入很低，申请了两次都没有评上。")],
    "干部作风": [
        ("办事多次被推诿", "去乡里办理教育资助证明，跑了三次，每次都说找别的部门。"),
        ("帮扶干部很少入户", "我们家的帮扶责任人一年只来过一次，拍了照就走了。")],
    "政策咨询": [
        ("外出务工的交通补贴怎么申请",
         "听说脱贫劳动力外出务工有交通补贴，想问需要什么材料、找哪里申请。"),
        ("危房改造补助标准是多少", "家里房子被鉴定为 C 级危房，想了解补助标准和申请流程。")],
    "其他": [
        ("建议增加农技培训", "希望多组织一些种养殖技术培训，最好安排在农闲的时候。"),
        ("对驻村工作队表示感谢", "驻村工作队帮我们联系了销路，今年的百香果卖得很好，非常感谢。")],
}
REPLIES = [
    "经核查，您反映的情况属实，相关资金已于本月发放到户。感谢您的监督。",
    "经调查核实，您反映的问题部分属实，已责成相关村委限期整改，整改结果将在村务公开栏公示。",
    "经核查，该户已于去年动态调整中退出，现已不再享受相关政策。",
    "您咨询的政策可向户籍所在乡镇人社服务站申请，需携带身份证和务工证明。",
    "已将您的建议转交县农业农村局，计划在冬季农闲时组织培训。",
]
NAMES = ["王秀英", "李建国", "黄志强", "韦小红", "覃海燕", "梁国庆"]
#: The demo reporter who follows a case by e-mail.
DEMO_REPORTER = "reporter@example.org"


def demo_code(rng: random.Random) -> str:
    """Demo cases get codes from the seeded generator so that a demo can be followed."""
    return seeded_code(rng)


def _actor(handling_region: str, staff: dict[str, User], admin: User) -> User:
    county = handling_region[:6].ljust(12, "0")
    if codes.level_of(handling_region) >= 3 and county in staff:
        return staff[county]
    return admin


#: How far each demo case gets, with weights: every state appears (the first cases take each in
#: turn), recent ones still open, older ones answered or late.
PLANS = [("submitted", 1), ("accepted", 1), ("in_progress", 1), ("transferred", 1),
         ("overdue", 2), ("rejected", 1), ("replied", 2), ("closed", 6)]
RECENT = {"submitted", "accepted", "in_progress", "transferred"}


def make_cases(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed * 7919 + 6)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    staff = {u.region_code: u for u in db.session.execute(
        select(User).where(User.role == Role.STAFF)).scalars() if u.region_code}
    if admin is None or not ctx.villages:
        return
    now = utcnow()
    first_county = ctx.counties[0]
    near = [v for v in ctx.villages if v.startswith(first_county[:6])]
    total = max(80, min(160, ctx.households // 10))
    names, weights = zip(*PLANS, strict=True)
    first_code = ""
    followed = False
    for n in range(total):
        plan = names[n] if n < len(names) else rng.choices(names, weights)[0]
        # Half the cases in the first county, so that its statistics show unsuppressed figures.
        village = rng.choice(near if n % 2 == 0 and near else ctx.villages)
        region = village if rng.random() < 0.7 else village[:9].ljust(12, "0")
        category = rng.choice(CATEGORIES)
        subject, body = rng.choice(SUBJECTS[category])
        named = rng.random() < 0.35
        age = rng.randint(1, 10) if plan in RECENT else rng.randint(25, 330)
        submitted = now - timedelta(days=age, hours=rng.randint(0, 23))
        code = demo_code(rng)
        first_code = first_code or code
        held = n == len(names)  # one case waits in the moderation queue
        case, _ = services.submit_case(services.Submission(
            kind=rng.choice(PUBLIC_KINDS), category=category, region_code=region,
            subject=subject, body=body, named=named, name=rng.choice(NAMES) if named else "",
            phone=f"139{rng.randint(0, 99_999_999):08d}" if named else "",
            consent_to_publish=rng.random() < 0.5,
            about_local_cadres=category == "干部作风" and rng.random() < 0.7,
            suspicion="too_fast" if held else None), now=submitted, code=code)
        if not held and plan == "replied" and not followed:
            # A reporter who follows their case by e-mail: the demo's outbox shows what they
            # are told, and ``sunshine mail send`` asks them whether it was resolved.
            subscriptions.subscribe_confirmed(DEMO_REPORTER, subscriptions.Topic(
                "complaint", str(case.id), followup.follow_label(str(case.id)) or ""),
                now=submitted)
            followed = True
        if not held:
            _handle(case, plan, rng, staff, admin, now)
    overdue = handling.mark_overdue(now)
    ctx.summary["complaint_cases"] = total
    ctx.summary["complaint_cases_overdue"] = overdue
    log.info("demo complaints: %d cases, %d overdue; a tracking code to try: %s",
             total, overdue, first_code)


def _handle(case: Case, plan: str, rng: random.Random, staff: dict[str, User], admin: User,
            now: datetime) -> None:
    """Walk the case along the state machine as far as its plan says, at plausible times."""
    actor = _actor(case.handling_region_code, staff, admin)
    t = case.submitted_at + timedelta(hours=rng.randint(2, 20))
    if plan == "submitted":
        return
    if plan == "rejected":
        handling.reject(case, actor, "反映的事项属于司法程序，不属于扶贫部门的职责范围",
                        "县人民法院诉讼服务中心（诉讼服务热线 12368）", now=t)
        return
    if plan == "transferred":
        city = case.region_code[:4].ljust(12, "0")
        target = city if case.handling_region_code != city else codes.parent_of(city) or city
        handling.transfer(case, actor, target, "涉及跨部门事项，转交办理", now=t)
        return
    handling.accept(case, actor, now=t)
    if plan == "accepted" or (plan == "overdue" and rng.random() < 0.5):
        return
    t += timedelta(hours=rng.randint(4, 48))
    handling.start(case, actor, now=t)
    if rng.random() < 0.3:
        handling.add_note(case, actor, "已电话联系村委了解情况，下周入户核实。", now=t)
    if plan in ("in_progress", "overdue"):
        return
    t += timedelta(days=rng.randint(1, 18))
    handling.reply(case, actor, rng.choice(REPLIES), now=t)
    if plan == "replied":
        return
    t += timedelta(days=rng.randint(1, 5))
    rating = rng.choices([Rating.SATISFIED, Rating.FAIRLY, Rating.DISSATISFIED], [6, 3, 1])[0]
    services.rate(case, rating, now=t)
    if rating is Rating.DISSATISFIED:
        if rng.random() < 0.6:
            services.reopen(case, "答复没有说明资金什么时候发放。", now=t)
            t += timedelta(days=rng.randint(2, 10))
            handling.reply(case, actor,
                           "经再次核实，资金将于下月 10 日前发放到户，届时请留意银行账户。", now=t)
        handling.close(case, actor, now=t + timedelta(days=1))
    if case.consent_to_publish and rng.random() < 0.7:
        reply = case.latest_reply
        handling.publish_answer(case, actor, case.subject, case.body,
                                reply.text if reply else "", now=t, reindex=False)
