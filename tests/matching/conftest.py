"""Helpers for the matching tests: staff of a town and its county, donors, a registered household
with canary member names, and needs made through the services."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sunshine.accounts.models import Role, User
from sunshine.extensions import db
from sunshine.matching import needs
from sunshine.matching.models import Need
from sunshine.stats.members import MEMBER, pack_one
from sunshine.stats.models import Household, MemberId, MemberList
from tests.conftest import SAMPLE
from tests.factories import make_user

VILLAGE, TOWN, COUNTY = SAMPLE["village"], SAMPLE["town"], SAMPLE["county"]
HOUSEHOLD = int(VILLAGE + "0001")
OTHER_HOUSEHOLD = int(SAMPLE["other_county"][:6] + VILLAGE[6:] + "0001")
#: Member names and ID details that must never come out in public.
MEMBER_NAMES = ["覃秀兰", "韦金雀"]
MEMBER_ID_MASKED = f"{COUNTY[:6]}********0015"


def add_household(archive: int, names: list[str]) -> Household:
    household = Household(id=archive, village_code=str(archive)[:12], main_cause=1, size=len(names),
                          entered=2015, cadre="帮扶干部甲", synthetic=True)
    db.session.add(household)
    packed = []
    for n, name in enumerate(names):
        id_hash = int.from_bytes(hashlib.blake2b(f"{archive}-{n}".encode(), digest_size=8).digest(),
                                 "little", signed=True)
        packed.append(pack_one(name, MEMBER_ID_MASKED, 0 if n == 0 else 1, n % 2, 1970 + n, 0, 0,
                               0, id_hash))
        db.session.add(MemberId(id_hash=id_hash, household_id=archive))
    if names:
        db.session.add(MemberList(household_id=archive, count=len(names),
                                  packed=MEMBER.join(packed)))
    db.session.commit()
    return household


@pytest.fixture
def users(regions: dict[str, str]) -> dict[str, User]:
    made = {
        "town": make_user("staff-town", Role.STAFF, TOWN),
        "county": make_user("staff-county", Role.STAFF, COUNTY),
        "county2": make_user("staff-county-b", Role.STAFF, COUNTY),
        "other": make_user("staff-other", Role.STAFF, regions["other_county"]),
        "admin": make_user("root-admin", Role.ADMIN, None),
        "donor": make_user("donor-a", Role.DONOR, None, display_name="张善人",
                           email="donor-a@example.cn"),
        "donor2": make_user("donor-b", Role.DONOR, None, display_name="爱心企业",
                            phone="13800138000"),
        "seller": make_user("seller-a", Role.SELLER, None),
    }
    add_household(HOUSEHOLD, MEMBER_NAMES)
    add_household(OTHER_HOUSEHOLD, ["黄某某"])
    return made


def need_fields(**overrides: Any) -> needs.NeedFields:
    values: dict[str, Any] = {
        "household_id": HOUSEHOLD, "category": "助学", "title": "初二学生需要冬季校服",
        "story": "孩子在镇中学读书，冬天缺少保暖的校服。", "urgency": 2,
        "deadline": date.today() + timedelta(days=30),
        "items": [needs.ItemFields("冬季校服", 10, "套", Decimal("120.00"))]}
    values.update(overrides)
    return needs.NeedFields(**values)


def make_need(users: dict[str, User], publish: bool = True, **overrides: Any) -> Need:
    need = needs.create_need(users["town"], need_fields(**overrides))
    if publish:
        needs.submit(users["town"], need)
        needs.verify(users["county"], need)
    return need
