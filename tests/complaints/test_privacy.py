"""A reporter's name and phone never reach a public page, an export, the API, the search index,
the audit log or the application log; only the oversight view shows them."""

from __future__ import annotations

import logging

from sqlalchemy import select
from whoosh import index as whoosh_index

from sunshine.audit import AuditEntry
from sunshine.complaints import handling
from sunshine.complaints.models import Case
from sunshine.extensions import db
from sunshine.search.index import rebuild, search
from tests.complaints.conftest import NAME, PHONE, form_data
from tests.conftest import SAMPLE, code_from

SECRETS = (NAME, PHONE, "13912345678")


def _absent(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} found in {where}"


def test_the_reporter_appears_nowhere_public(app, client, regions, users, client_for,
                                             caplog) -> None:
    caplog.set_level(logging.DEBUG)
    page = client.post("/complaints/new", data=form_data(
        app, identity="named", name=NAME, phone=PHONE, consent="y",
        subject="村里的产业补助没有发", body="去年申报的产业奖补资金一直没有发。")).get_data(True)
    _absent("the answer to the form", page)
    code = code_from(page)
    case = db.session.execute(select(Case)).scalar_one()
    staff = users["county"]
    handling.accept(case, staff)
    handling.reply(case, staff, "经核查，资金已发放到户。")
    handling.publish_answer(case, staff, "产业补助何时发放", "去年申报的产业奖补资金一直没有发。",
                            "经核查，资金已发放到户。")
    # The oversight view is the one place the identity is shown ...
    shown = client_for("oversight").post(f"/admin/complaints/{case.id}/reporter")
    assert NAME in shown.get_data(as_text=True)
    rebuild(app.config["SEARCH_INDEX_DIR"])

    public = ["/", "/complaints/new", "/complaints/track", "/complaints/stats",
              f"/complaints/stats?region={SAMPLE['county']}",
              f"/complaints/stats?region={SAMPLE['village']}",
              "/complaints/stats/export.csv", "/api/v1/complaints/stats?per_page=500",
              "/complaints/answers/", f"/complaints/answers/{case.id}", "/sitemap.xml",
              "/feeds/news.xml", "/feeds/notices.xml", "/search?q=产业补助", "/api/v1/",
              "/api/v1/openapi.json"]
    for url in public:
        response = client.get(url)
        assert response.status_code == 200, url
        _absent(url, response.get_data(as_text=True))
    assert "产业补助何时发放" in client.get("/search?q=产业补助").get_data(as_text=True)
    tracked = client.post("/complaints/track", data={"code": code}).get_data(as_text=True)
    assert "经核查，资金已发放到户。" in tracked
    _absent("the tracking page", tracked)

    # ... and the search index, the audit log and the application log never hold it.
    ix = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"])
    with ix.searcher() as searcher:
        stored = " ".join(str(v) for doc in searcher.all_stored_fields() for v in doc.values())
    assert "产业补助何时发放" in stored
    for secret in SECRETS:
        assert search(app.config["SEARCH_INDEX_DIR"], secret).total == 0
    _absent("the search index", stored)
    for entry in db.session.execute(select(AuditEntry)).scalars():
        _absent(f"audit entry {entry.action}",
                " ".join([entry.detail, entry.object_id, entry.actor_name, entry.address]))
    _absent("the application log", "\n".join(r.getMessage() for r in caplog.records))


def test_staff_exports_and_lists_hold_no_identity(app, client, regions, users,
                                                  client_for) -> None:
    client.post("/complaints/new", data=form_data(app, identity="named", name=NAME, phone=PHONE))
    case = db.session.execute(select(Case)).scalar_one()
    assert case.named
    staff = client_for("staff-county")
    admin = client_for("root-admin")
    for who in (staff, admin):
        for url in ("/admin/", "/admin/complaints/", f"/admin/complaints/{case.id}",
                    "/admin/audit/", "/admin/audit/?action=complaint_submitted"):
            _absent(url, who.get(url).get_data(as_text=True))
