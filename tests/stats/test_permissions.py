"""The register's back office: only admins and regional staff, each within their region; another
county's staff get 403 on every register URL; every view of personal data is logged."""

from __future__ import annotations

from sqlalchemy import select

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.stats.models import Household
from tests.conftest import COUNTY_PREFIX, SAMPLE
from tests.factories import make_user
from tests.stats.conftest import CANARY_IDS, CANARY_NAMES


def _urls(archive: int) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("GET", f"/admin/stats/households/{archive}", {}),
        ("POST", f"/admin/stats/households/{archive}/change", {"change": "exit", "year": "2020"}),
        ("GET", f"/admin/stats/households?region={SAMPLE['county']}", {}),
        ("GET", f"/admin/stats/households?region={SAMPLE['village']}", {}),
    ]


def test_another_countys_staff_get_403_on_every_register_url(client, login, register) -> None:
    make_user("staff-other", Role.STAFF, SAMPLE["other_county"])
    mine = next(h for h in register if h.village.startswith(COUNTY_PREFIX))
    assert login("staff-other").status_code == 302
    for method, url, data in _urls(mine.archive):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url, response.status_code)
    assert db.session.get(Household, mine.archive).exited == mine.events[1]  # nothing changed


def test_editors_and_the_public_cannot_reach_the_register(client, login, register) -> None:
    archive = register[0].archive
    for method, url, data in _urls(archive):
        response = client.open(url, method=method, data=data)
        assert response.status_code in (302, 401), url  # to the login page
    make_user("writer", Role.EDITOR, SAMPLE["province"])
    login("writer")
    for method, url, data in _urls(archive) + [("GET", "/admin/stats/", {}),
                                                ("POST", "/admin/stats/rebuild", {})]:
        assert client.open(url, method=method, data=data).status_code == 403, url


def test_staff_see_their_households_with_masked_ids_and_the_view_is_logged(client, login,
                                                                          register) -> None:
    make_user("staff-here", Role.STAFF, SAMPLE["county"])
    login("staff-here")
    canary = register[0]  # the first household of the sample county holds the first canary
    html = client.get(f"/admin/stats/households/{canary.archive}").get_data(as_text=True)
    assert CANARY_NAMES[0] in html
    assert CANARY_IDS[0] not in html and CANARY_IDS[0][:6] + "********" + CANARY_IDS[0][14:] in html
    listing = client.get("/admin/stats/households").get_data(as_text=True)
    assert canary_archive(canary) in listing and CANARY_NAMES[0] not in listing
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert "household_viewed" in actions and "households_listed" in actions


def canary_archive(household) -> str:
    return f"{household.archive:016d}"


def test_staff_record_a_change_and_the_figures_follow(client, login, register) -> None:
    make_user("staff-here", Role.STAFF, SAMPLE["county"])
    login("staff-here")
    target = next(h for h in register if h.village.startswith(COUNTY_PREFIX) and not h.events[1]
                  and not h.events[4])
    response = client.post(f"/admin/stats/households/{target.archive}/change",
                           data={"change": "exit", "year": "2020"})
    assert response.status_code == 302
    assert db.session.get(Household, target.archive).exited == 2020
    bad = client.post(f"/admin/stats/households/{target.archive}/change",
                      data={"change": "exit", "year": "2019"})
    assert bad.status_code == 400 and "已经有脱贫记录" in bad.get_data(as_text=True)


def test_search_by_id_number_redirects_within_the_region(client, login, register) -> None:
    make_user("staff-here", Role.STAFF, SAMPLE["county"])
    login("staff-here")
    found = client.post("/admin/stats/find", data={"number": CANARY_IDS[0]})
    assert found.status_code == 302 and "/admin/stats/households/" in found.headers["Location"]
    missing = client.post("/admin/stats/find", data={"number": CANARY_IDS[2]})  # other county
    assert missing.status_code == 400 and "没有这个身份证号" in missing.get_data(as_text=True)


def test_only_the_province_admin_rebuilds(client, login, register) -> None:
    make_user("staff-here", Role.STAFF, SAMPLE["county"])
    login("staff-here")
    assert client.post("/admin/stats/rebuild").status_code == 403
    client.post("/logout")
    make_user("boss", Role.ADMIN, SAMPLE["province"])
    login("boss")
    assert client.get("/admin/stats/").status_code == 200
    response = client.post("/admin/stats/rebuild")
    assert response.status_code == 302
