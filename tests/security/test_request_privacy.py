"""An applicant's name, phone and e-mail never reach a public page, feed, API answer, CSV,
the search index or the sitemap: requests are filed through the form with the identity written
into the question too, answered, indexed, and every page reachable from the archive is read."""

from __future__ import annotations

import logging

from sqlalchemy import select
from whoosh import index as whoosh_index

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.requests import handling
from sunshine.requests.models import InfoRequest, Outcome
from sunshine.search.index import rebuild, search
from tests.conftest import code_from
from tests.factories import make_user
from tests.requests.conftest import EMAIL, NAME, PHONE, form_data
from tests.test_crawl import crawl

SECRETS = (NAME, PHONE, EMAIL, "ouyang.xiuying")


def _absent(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} found in {where}"


def test_the_applicant_appears_nowhere_public(app, client, regions, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    staff = make_user("staff-county", Role.STAFF, regions["county"])
    codes = []
    for consent in ("y", None):
        page = client.post("/requests/new", data=form_data(
            app, consent=consent, about="/funds/1",
            body=f"我是{NAME}，电话 {PHONE}，邮箱 {EMAIL}。请公开本村衔接资金的支出明细。"))
        assert page.status_code == 200
        _absent("the answer to the form", page.get_data(as_text=True))
        codes.append(code_from(page.get_data(as_text=True)))
    infos = db.session.execute(select(InfoRequest).order_by(InfoRequest.id)).scalars().all()
    for info in infos:
        handling.answer(info, staff, handling.Answer(
            Outcome.DISCLOSED, "open", f"{NAME}：现将衔接资金支出明细提供给您。"))
    rebuild(app.config["SEARCH_INDEX_DIR"])

    visited = crawl(client, "/requests/", limit=80)
    urls = [u for u, status in visited.status.items() if status == 200]
    assert any(u.startswith("/requests/") and u[10:].isdigit() for u in urls), urls
    urls += ["/requests/export.csv", "/api/v1/requests", "/feeds/requests.xml", "/sitemap.xml",
             "/search?q=衔接资金", "/search?q=%E6%AC%A7", "/api/v1/openapi.json"]
    urls += [f"/api/v1/requests/{i.id}" for i in infos]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _absent(url, response.get_data(as_text=True))
    assert "衔接资金" in client.get("/search?q=衔接资金").get_data(as_text=True)
    for code in codes:
        tracked = client.post("/requests/track", data={"code": code}).get_data(as_text=True)
        _absent("the tracking page", tracked)

    ix = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"])
    with ix.searcher() as searcher:
        stored = " ".join(str(v) for doc in searcher.all_stored_fields() for v in doc.values())
    assert "衔接资金" in stored
    _absent("the search index", stored)
    for secret in SECRETS:
        assert search(app.config["SEARCH_INDEX_DIR"], secret).total == 0
    for entry in db.session.execute(select(AuditEntry)).scalars():
        _absent(f"audit entry {entry.action}",
                " ".join([entry.detail, entry.object_id, entry.actor_name, entry.address]))
    _absent("the application log", "\n".join(r.getMessage() for r in caplog.records))
