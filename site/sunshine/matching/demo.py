"""Demo step: needs in every state for households of the demo register, three donor accounts
(``donor-demo``, ``donor-demo2`` and the company ``donor-company``, all with the demo password)
and their pledges, deliveries, confirmations and thanks. Rows are built directly (one commit for
the whole demo), with each line's counter equal to its holding pledges. Runs after the
statistics step, which fills the register."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from sunshine import clock
from sunshine.accounts.models import Role, User
from sunshine.accounts.services import hash_password
from sunshine.database import utcnow
from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.matching.common import tell_donor
from sunshine.matching.delivery import code_hash
from sunshine.matching.models import Need, NeedEvent, NeedItem, NeedState, Pledge, PledgeState
from sunshine.records.money import to_fen
from sunshine.regions import codes
from sunshine.stats.models import Household
from sunshine.stats.rollup import village_range

log = logging.getLogger(__name__)
S, P = NeedState, PledgeState

#: (state, category, urgency, title, story, goods [(name, quantity, unit, price)] or yuan,
#:  pledges [(donor index, line index, quantity or yuan, pledge state)])
NEEDS: list[tuple[NeedState, str, int, str, str, list[tuple[str, int, str, int]] | int,
                  list[tuple[int, int, int, PledgeState]]]] = [
    (S.PUBLISHED, "助学", 1, "初二学生需要一套冬季校服和棉鞋",
     "孩子在镇中学读初二，学校离家八公里，冬天早上很冷，现在只有一件单薄的外套。"
     "家里主要劳动力因病不能外出务工。", [("冬季校服", 1, "套", 180), ("棉鞋", 1, "件", 60)], []),
    (S.PARTLY, "助学", 2, "两名小学生需要书包和文具",
     "兄妹俩在村小读二年级和四年级，书包已经用了好几年，破得装不住书。",
     [("书包", 2, "个", 80), ("文具套装", 2, "套", 30)], [(0, 0, 1, P.ACTIVE)]),
    (S.PLEDGED, "助医", 1, "住院治疗后的自付费用",
     "户主做了腰椎手术，医保报销后仍有一部分自付费用，家里还有老人需要照顾。", 3000,
     [(1, 0, 2000, P.ACTIVE), (2, 0, 1000, P.ACTIVE)]),
    (S.DELIVERING, "生产", 2, "发展百香果种植需要 200 株种苗",
     "家里有三亩坡地，村里合作社提供技术指导，缺少种苗的启动资金。",
     [("百香果种苗", 200, "株", 3)], [(2, 0, 150, P.DELIVERING), (0, 0, 50, P.DELIVERED)]),
    (S.DELIVERED, "住房", 1, "屋顶漏雨，需要石棉瓦修补",
     "老房子的屋顶有几处漏雨，雨季时屋里要放好几个盆接水。", [("石棉瓦", 30, "张", 25)],
     [(1, 0, 30, P.CONFIRMED)]),
    (S.THANKED, "生活", 2, "冬季需要两床棉被",
     "家里两位老人冬天只有薄被，夜里常常冻醒。", [("棉被", 2, "床", 150)],
     [(0, 0, 2, P.CONFIRMED)]),
    (S.CLOSED, "就业", 3, "参加电焊技能培训的报名费",
     "孩子初中毕业后想学一门手艺，县里有电焊培训，结业后可以推荐就业。", 800,
     [(2, 0, 800, P.CONFIRMED)]),
    (S.DRAFT, "助学", 3, "高中生每月的生活费",
     "孩子考上了县高中，住校每月需要生活费。", 1200, []),
    (S.PENDING, "助医", 2, "行动不便的老人需要一台轮椅",
     "老人中风后行动不便，出门看病需要轮椅。", [("轮椅", 1, "台", 600)], []),
    (S.WITHDRAWN, "生活", 3, "需要一个电饭锅",
     "家里的电饭锅坏了。", [("电饭锅", 1, "个", 150)], []),
    (S.EXPIRED, "生产", 3, "养殖需要 100 只鸡苗",
     "准备林下养鸡，缺少鸡苗。", [("鸡苗", 100, "只", 5)], [(1, 0, 40, P.EXPIRED)]),
]
THANKS = ["收到大家送来的东西，全家人都很感动。谢谢好心人，我们会好好生活，把日子过好。",
          "谢谢爱心人士的帮助，东西已经用上了，孩子说以后也要帮助别人。",
          "感谢党和政府，感谢好心人，我们一定努力，早日把日子过红火。"]
#: (category, title, goods or yuan) of the needs another county adds.
EXTRA_TITLES: list[tuple[str, str, list[tuple[str, int, str, int]] | int]] = [
    ("助学", "大学新生需要一台学习用的电脑", [("笔记本电脑", 1, "台", 3000)]),
    ("生活", "独居老人需要一台取暖器", [("取暖器", 1, "台", 200)]),
    ("生产", "发展养蜂需要蜂箱", [("蜂箱", 10, "个", 120)]),
    ("住房", "厨房改造需要水泥", [("水泥", 20, "袋", 30)]),
    ("就业", "外出务工的路费", 600), ("助医", "孩子配眼镜", 400)]


def _donors(ctx: DemoContext) -> list[User]:
    first = db.session.scalar(select(User).where(User.username == "donor-demo"))
    hashed = first.password_hash if first else hash_password(ctx.password)
    donors = [first] if first else []
    for username, name, email in [("donor-demo", "爱心人士", "donor@example.org"),
                                  ("donor-demo2", "李先生", "donor2@example.org"),
                                  ("donor-company", "示范爱心企业", "company@example.org")]:
        if first is not None and username == "donor-demo":
            continue
        user = User(username=username, display_name=name, email=email, password_hash=hashed,
                    role=Role.DONOR, active=True)
        db.session.add(user)
        donors.append(user)
    db.session.flush()
    return donors


def _households(county: str) -> list[int]:
    lo, hi = village_range(county)
    return list(db.session.execute(select(Household.id).where(
        Household.id.between(lo, hi), Household.removed == 0).order_by(Household.id)
        .limit(40)).scalars())


def _need(ctx: DemoContext, rng: random.Random, household: int, creator: User,
          verifier: User | None, spec: tuple, donors: list[User]) -> Need:
    state, category, urgency, title, story, goods, plan = spec
    now = utcnow()
    today = clock.today(now)
    village = f"{household:016d}"[:12]
    deadline = today - timedelta(days=3) if state == S.EXPIRED else \
        today + timedelta(days=rng.randint(10, 60))
    need = Need(household_id=household, village_code=village,
                county_code=village[:6] + "000000", category=category, title=title,
                story=story, urgency=urgency, deadline=deadline, state=state.value,
                created_by=creator.id, creator_region=creator.region_code or village,
                money=isinstance(goods, int), created_at=now - timedelta(days=40))
    if isinstance(goods, int):
        need.items = [NeedItem(position=0, name="所需资金", unit="元", money=True,
                               needed=to_fen(Decimal(goods)), pledged=0)]
    else:
        need.items = [NeedItem(position=n, name=name, unit=unit, needed=qty, pledged=0,
                               price=Decimal(price)) for n, (name, qty, unit, price) in
                      enumerate(goods)]
    if state not in (S.DRAFT, S.PENDING):
        need.verified_by = verifier.id if verifier else None
        need.published_at = now - timedelta(days=30)
    if state == S.WITHDRAWN:
        need.withdraw_reason = "户主已通过其他渠道解决"
    db.session.add(need)
    db.session.flush()
    events = [NeedEvent(need_id=need.id, at=now - timedelta(days=30), text="经核实后发布")] \
        if need.published_at else []
    for donor_index, line, quantity, pledge_state in plan:
        item = need.items[line]
        units = to_fen(Decimal(quantity)) if item.money else quantity
        donor = donors[donor_index % len(donors)]
        pledge = Pledge(need_id=need.id, item_id=item.id, donor_id=donor.id, quantity=units,
                        state=pledge_state.value, display_name=donor.display_name,
                        donor_kind="org" if donor.username == "donor-company" else "person",
                        created_at=now - timedelta(days=20), hold_until=now + timedelta(days=5))
        events.append(NeedEvent(need_id=need.id, at=now - timedelta(days=20),
                                text=f"{donor.display_name}认领了 {item.name} {item.show(units)}"))
        if pledge_state in (P.DELIVERING, P.DELIVERED, P.CONFIRMED):
            pledge.delivery_started_at = now - timedelta(days=10)
        if pledge_state in (P.DELIVERED, P.CONFIRMED):
            pledge.delivered_at, pledge.delivered_by = now - timedelta(days=5), creator.id
        if pledge_state == P.DELIVERED:
            code = f"{rng.randrange(10 ** 12):012d}"
            pledge.code_hash = code_hash(code)
            log.info("demo delivery slip for need %s: confirmation code %s", need.id, code)
        if pledge_state == P.CONFIRMED:
            pledge.confirmed_at, pledge.confirm_method = now - timedelta(days=4), "countersign"
            pledge.confirmed_by = verifier.id if verifier else None
            events.append(NeedEvent(need_id=need.id, at=now - timedelta(days=4),
                                    text=f"受助户已收到 {item.name} {item.show(units)}"))
            if donor.email:  # the donor's mail about it, for the demo's outbox
                tell_donor(donor.email, need.id, need.title, events[-1].text, events[-1].at)
        if pledge_state == P.EXPIRED:
            pledge.ended_at, pledge.end_reason = now - timedelta(days=5), "保留期已过，未开始配送"
            pledge.hold_until = now - timedelta(days=5)
        else:
            item.pledged += units
        db.session.add(pledge)
    if state in (S.THANKED, S.CLOSED):
        need.thanks_note, need.thanked_at = THANKS[need.id % 3], now - timedelta(days=3)
        events.append(NeedEvent(need_id=need.id, at=now - timedelta(days=3), text="受助户致谢"))
    if state == S.CLOSED:
        need.closed_at = now - timedelta(days=2)
    db.session.add_all(events)
    return need


def _extra(rng: random.Random, n: int) -> list[tuple]:
    """Two more needs for another county: open ones for the list, met ones for the thanks wall."""
    out: list[tuple] = []
    for k, (category, title, goods) in enumerate(rng.sample(EXTRA_TITLES, 2)):
        met = (n + k) % 3 == 0
        full = goods if isinstance(goods, int) else goods[0][1]
        plan = [((n + k) % 3, 0, full, P.CONFIRMED)] if met else []
        out.append((S.CLOSED if met else S.PUBLISHED, category, 1 + (n + k) % 3, title,
                    "经村委会核实，情况属实。", goods, plan))
    return out


def build(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 8)
    staff = list(db.session.execute(select(User).where(User.role == Role.STAFF)).scalars())
    by_name = {u.username: u for u in staff}
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    donors = _donors(ctx)
    made: list[Need] = []
    # The first county (the one the statistics demo fills) gets a need in every state; a dozen
    # counties spread over the cities get two more each.
    for i, county in enumerate([*ctx.counties[:1], *ctx.counties[1::9]]):
        households = _households(county)
        county_staff = by_name.get(f"staff-{county}")
        if not households or county_staff is None or admin is None:
            continue
        creator, verifier, specs = county_staff, admin, _extra(rng, i)
        if i == 0:
            specs = NEEDS
            # A town creates, its county verifies: the demo's town account, when it has households.
            town = next((u for u in staff if u.region_code and codes.level_of(u.region_code) == 4
                         and codes.in_subtree(u.region_code, county)), None)
            in_town = [h for h in households if town is not None
                       and codes.in_subtree(f"{h:016d}"[:12], town.region_code or "")]
            if town is not None and in_town:
                creator, verifier, households = town, county_staff, in_town
        for n, spec in enumerate(specs):
            made.append(_need(ctx, rng, households[n % len(households)], creator, verifier, spec,
                              donors))
    ctx.summary["matching_needs"] = len(made)
    log.info("matching demo: %d needs", len(made))
