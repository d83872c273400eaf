"""Build the demo province (the configured one): its real cities and counties, synthetic towns
and villages, staff accounts, and whatever each feature's demo step adds.

Deterministic: the same seed gives the same data, so screenshots and tests can rely on it.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import insert, select

from sunshine.accounts.models import Role, User
from sunshine.accounts.services import hash_password
from sunshine.extensions import db
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.regions.province import province_code
from sunshine.registry import registry

log = logging.getLogger(__name__)

TOWNS_PER_COUNTY = 3
VILLAGES_PER_TOWN = 4


class NotEmpty(RuntimeError):
    """The database already holds data; the demo only fills an empty one."""


@dataclass
class DemoContext:
    seed: int
    households: int
    password: str
    rng: random.Random
    counties: list[str] = field(default_factory=list)
    villages: list[str] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)


def database_has_data() -> bool:
    return db.session.scalar(select(Region.code).limit(1)) is not None \
        or db.session.scalar(select(User.id).limit(1)) is not None


def build_demo(households: int = 2000, seed: int = 2020,
               password: str | None = None) -> DemoContext:
    """Fill an empty database and commit once at the end.

    :raise NotEmpty: when there is data already.
    """
    if database_has_data():
        raise NotEmpty
    ctx = DemoContext(seed=seed, households=households,
                      password=password or secrets.token_urlsafe(12), rng=random.Random(seed))
    try:
        _regions(ctx)
        _accounts(ctx)
        # In the order the features registered them: a step may use what earlier ones built.
        for name, step in registry().demo_steps:
            log.info("demo step %s", name)
            step(ctx)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ctx


def _regions(ctx: DemoContext) -> None:
    ctx.summary["regions_real"] = regions.load_builtin_province()
    db.session.flush()
    ctx.counties = [r.code for r in regions.list_regions(level=3)]
    ctx.summary["regions_synthetic"] = regions.generate_demo_villages(
        ctx.counties, TOWNS_PER_COUNTY, VILLAGES_PER_TOWN, ctx.rng)
    ctx.villages = [r.code for r in regions.list_regions(level=5)]


def _accounts(ctx: DemoContext) -> None:
    """``admin`` for the province and ``staff-<county code>`` for every county, one password.

    One hash serves all accounts: scrypt takes ~50 ms, and 111 of them would dominate the run.
    """
    hashed = hash_password(ctx.password)
    province = province_code()
    first_city = regions.children_of(province)[0]
    first_town = regions.children_of(ctx.counties[0])[0].code
    rows: list[dict[str, object]] = [
        {"username": "admin", "display_name": "省扶贫办管理员", "role": Role.ADMIN.value,
         "region_code": province},
        {"username": "oversight", "display_name": "省纪委监委督查", "role": Role.OVERSIGHT.value,
         "region_code": province},
        {"username": "editor", "display_name": "省扶贫办编辑", "role": Role.EDITOR.value,
         "region_code": province},
        {"username": f"staff-{first_city.code}", "display_name": f"{first_city.name}扶贫办",
         "role": Role.STAFF.value, "region_code": first_city.code},
        {"username": f"staff-{first_town}", "display_name": "乡镇扶贫站",
         "role": Role.STAFF.value, "region_code": first_town},
    ]
    names = {r.code: r.name for r in regions.list_regions(level=3)}
    rows += [{"username": f"staff-{code}", "display_name": f"{names[code]}扶贫办",
              "role": Role.STAFF.value, "region_code": code} for code in ctx.counties]
    if ctx.counties:  # the first county's office gets the staff's daily mail digest
        rows[-len(ctx.counties)]["email"] = "county-staff@example.org"
    rows += [
        {"username": "donor-demo", "display_name": "爱心人士", "role": Role.DONOR.value,
         "region_code": None, "email": "donor@example.org"},
        {"username": "seller-demo", "display_name": "示范合作社", "role": Role.SELLER.value,
         "region_code": None, "email": "seller@example.org"},
    ]
    for row in rows:
        row.setdefault("email", None)
        row.update(password_hash=hashed, active=True, session_version=1)
    db.session.execute(insert(User), rows)
    ctx.summary["accounts"] = len(rows)
