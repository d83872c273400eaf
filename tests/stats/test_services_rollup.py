"""Rollups: village vectors from the register, sums level by level, the totals check, the
incremental build after a change, and back-office reads. Runs on PostgreSQL too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.regions import codes
from sunshine.regions.services import builtin_rows
from sunshine.stats import bulk, rollup, scan, services, vocab
from sunshine.stats import register as reg
from sunshine.stats.layout import layout
from sunshine.stats.models import Build, Household, Rollup
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE
from tests.factories import make_user
from tests.stats.conftest import CANARY_IDS

pytestmark = pytest.mark.postgres

LAST = vocab.LAST_YEAR


def _vector(code: str):
    return rollup.unpack(db.session.get(Rollup, code).cells)


def test_every_level_sums_its_children_and_matches_the_register(app, register) -> None:
    lay = layout()
    province = _vector(SAMPLE["province"])
    households, people, poor, synthetic = rollup.register_totals()
    assert province[lay("reg", LAST)] == households == sum(
        1 for h in register if not h.events[4])
    assert province[lay("reg_p", LAST)] == people and province[lay("poor", LAST)] == poor
    assert synthetic == households
    county = _vector(SAMPLE["county"])
    towns = [_vector(c) for c in (SAMPLE["town"], f"{COUNTY_PREFIX}102000")]
    assert list(county) == [a + b for a, b in zip(*towns, strict=True)]
    # Each village counted straight from its households, one status at a time.
    village = SAMPLE["village"]
    mine = [h for h in register if h.village == village]
    vector = _vector(village)
    for year in vocab.YEARS:
        statuses = [vocab.status_in(year, *h.events) for h in mine]
        assert vector[lay("poor", year)] == sum(s in vocab.IN_POVERTY for s in statuses)
        assert vector[lay("reg", year)] == sum(s not in (None, vocab.REMOVED) for s in statuses)
    assert rollup.latest_build().ok


def test_the_check_notices_rollups_that_do_not_match(app, register) -> None:
    db.session.execute(Household.__table__.update().where(
        Household.id == register[5].archive).values(size=register[5].size + 3))
    db.session.commit()
    households, people, _, _ = rollup.register_totals()
    row = db.session.get(Rollup, SAMPLE["province"])
    assert rollup.unpack(row.cells)[layout()("reg_p", LAST)] != people
    build = rollup.rebuild_all()
    assert build.ok  # rebuilt from the register: consistent again


def test_a_status_change_rebuilds_incrementally_like_a_full_build(app, register) -> None:
    admin = make_user("boss", Role.ADMIN, SAMPLE["province"])
    household = next(h for h in register if h.events[1] == 0 and h.events[4] == 0)
    record = db.session.get(Household, household.archive)
    reg.change_status(admin, record, "exit", 2020)
    incremental = {r.region_code: (bytes(r.cells), bytes(r.status))
                   for r in db.session.execute(select(Rollup)).scalars()}
    assert rollup.latest_build().kind == "incremental" and rollup.latest_build().ok
    rollup.rebuild_all()
    full = {r.region_code: (bytes(r.cells), bytes(r.status))
            for r in db.session.execute(select(Rollup)).scalars()}
    assert incremental == full
    with pytest.raises(reg.RegisterError):
        reg.change_status(admin, record, "exit", 2019)  # it has an exit already


def test_changes_must_fit_the_history(app, register) -> None:
    admin = make_user("boss", Role.ADMIN, SAMPLE["province"])
    household = next(h for h in register if h.events[1] and not h.events[2] and h.events[4] == 0
                     and h.events[1] < 2020)
    record = db.session.get(Household, household.archive)
    with pytest.raises(reg.RegisterError, match="晚于"):
        reg.change_status(admin, record, "return", household.events[1])
    with pytest.raises(reg.RegisterError, match="只能剔除"):
        reg.change_status(admin, record, "remove", 2020)


def test_staff_see_only_their_region_and_every_view_is_logged(app, register) -> None:
    staff = make_user("staff-a", Role.STAFF, SAMPLE["county"])
    other = make_user("staff-b", Role.STAFF, SAMPLE["other_county"])
    mine = next(h for h in register if h.village.startswith(COUNTY_PREFIX))
    theirs = next(h for h in register if h.village.startswith(OTHER_PREFIX))
    listed = db.session.execute(reg.household_query(staff)).scalars().all()
    assert listed and all(h.village_code.startswith(COUNTY_PREFIX) for h in listed)
    assert reg.get_household(staff, mine.archive).id == mine.archive
    with pytest.raises(PermissionDenied):
        reg.get_household(other, mine.archive)
    with pytest.raises(PermissionDenied):
        reg.household_query(staff, region=SAMPLE["other_county"])
    assert reg.get_household(other, theirs.archive) is not None
    viewed = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "household_viewed")).all()
    assert {e.actor_name for e in viewed} == {"staff-a", "staff-b"}
    assert reg.overview(staff).households == len(listed)


def test_search_by_id_number_stays_in_the_region_and_logs_no_number(app, register) -> None:
    staff = make_user("staff-a", Role.STAFF, SAMPLE["county"])
    other = make_user("staff-b", Role.STAFF, SAMPLE["other_county"])
    found = reg.find_by_id_number(staff, CANARY_IDS[0])
    assert found is not None and found.village_code.startswith(COUNTY_PREFIX)
    assert reg.find_by_id_number(other, CANARY_IDS[0]) is None  # same as unknown
    with pytest.raises(reg.RegisterError):
        reg.find_by_id_number(staff, "450102198001010010")  # bad checksum
    details = " ".join(e.detail + e.object_id for e in db.session.scalars(select(AuditEntry)))
    assert CANARY_IDS[0] not in details and CANARY_IDS[0][:10] not in details


def test_region_page_reads_rollups_only(app, register) -> None:
    page = services.region_page(SAMPLE["county"])
    assert [c.code for c in page.children] == [SAMPLE["town"], f"{COUNTY_PREFIX}102000"]
    assert [a.code for a in page.ancestors] == [SAMPLE["province"], SAMPLE["city"]]
    province = services.region_page(SAMPLE["province"])
    levels = [codes.level_of(r.code) for r in builtin_rows(SAMPLE["province"])]
    assert len(province.children) == levels.count(2)  # 14 cities in Guangxi
    assert len(province.counties) == levels.count(3)  # 111 counties in Guangxi
    with pytest.raises(services.StatsNotFound):
        services.region_page(SAMPLE["province"][:2] + "9999000000")


def test_builds_are_recorded(app, register) -> None:
    assert db.session.scalar(select(func.count()).select_from(Build)) == 1
    build = rollup.rebuild_all()
    assert build.kind == "full" and build.regions == db.session.scalar(
        select(func.count()).select_from(Rollup))


@pytest.mark.sqlite_only
def test_two_processes_scan_like_one(app, register, monkeypatch) -> None:
    assert bulk.sqlite_file() is not None
    lo, hi = rollup.village_range(SAMPLE["province"])
    one = scan.scan(lo, hi)
    monkeypatch.setattr(scan, "PARALLEL_FROM", 10)
    two = scan.scan(lo, hi)
    assert {k: list(v) for k, v in one.items()} == {k: list(v) for k, v in two.items()}


@pytest.mark.sqlite_only
def test_a_large_register_is_checked_on_a_second_connection(app, register, monkeypatch) -> None:
    """Above PARALLEL_FROM the scan commits and forks, and the register's totals for the check
    are counted in a thread meanwhile: the check still sees what the register holds, and a
    mismatch is still caught."""
    monkeypatch.setattr(scan, "PARALLEL_FROM", 10)
    counted = []
    real = rollup._Totals.result
    monkeypatch.setattr(rollup._Totals, "result", lambda self: counted.append(1) or real(self))
    build = rollup.rebuild_all()
    assert counted and build.ok and build.households == rollup.register_totals()[0]
    monkeypatch.setattr(rollup, "_totals_query", lambda: select(
        func.count(Household.id) + 1, func.sum(Household.size), func.count(Household.id),
        func.count(Household.id)))
    assert not rollup.rebuild_all().ok


def test_postgres_connections_do_not_jit_compile(app) -> None:
    """PostgreSQL's JIT costs ~10 ms a statement it thinks costly (a province page's rollup
    query); the site's connections turn it off. On SQLite there is nothing to check."""
    if db.engine.dialect.name != "postgresql":
        assert "options" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
        return
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
