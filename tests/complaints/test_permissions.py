"""The back office: region checks on every case URL, the reporter's identity hidden from staff
and shown (logged) to oversight, and the handling steps through the forms."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from cryptography.fernet import Fernet
from flask import Flask
from PIL import Image
from sqlalchemy import select

from sunshine.audit import AuditEntry
from sunshine.complaints import handling
from sunshine.complaints.models import Case, Moderation, Status
from sunshine.extensions import db
from tests.complaints.conftest import NAME, PHONE, file_case, named_case
from tests.conftest import COUNTY_PREFIX, SAMPLE

ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


def case_urls(app: Flask, case: Case) -> Iterator[tuple[str, str]]:
    """(method, URL) of every back-office complaints rule about one case."""
    values = {"case_id": str(case.id), "photo_id": str(case.photos[0].id) if case.photos else "1"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/complaints/<"):
            continue
        url = ARGUMENT.sub(lambda m: values[m.group(1)], rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, url


def test_staff_of_another_county_get_403_on_every_case_url(app, regions, users,
                                                           client_for) -> None:
    case, _ = named_case(photos=[_jpeg()], about_local_cadres=True, consent_to_publish=True)
    urls = list(case_urls(app, case))
    assert len(urls) >= 13  # detail, photo, reporter, publish x2, moderate, unpublish, 7 steps
    other = client_for("staff-other")
    town = client_for("staff-town")  # the case is about town cadres: routed past the town
    for client in (other, town):
        for method, url in urls:
            response = client.open(url, method=method, data={})
            assert response.status_code == 403, (method, url, response.status_code)
            assert "没有权限" in response.get_data(as_text=True)
        listing = client.get("/admin/complaints/").get_data(as_text=True)
        assert case.subject not in listing
    editor = client_for("editor")
    for method, url in [*urls, ("GET", "/admin/complaints/")]:
        assert editor.open(url, method=method, data={}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is Status.SUBMITTED


def test_county_staff_never_see_who_filed_a_case(app, regions, users, client_for) -> None:
    case, _ = named_case(photos=[_jpeg()], consent_to_publish=True)
    handling.accept(case, users["county"])
    handling.reply(case, users["county"], "已答复")
    staff = client_for("staff-county")
    pages = ["/admin/", "/admin/complaints/", f"/admin/complaints/{case.id}",
             f"/admin/complaints/{case.id}/publish", "/admin/audit/",
             "/admin/complaints/?held=1", "/admin/complaints/?status=replied"]
    for url in pages:
        response = staff.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert NAME not in body and PHONE not in body, url
    detail = staff.get(f"/admin/complaints/{case.id}").get_data(as_text=True)
    assert "实名（身份信息仅督查可查看）" in detail and "查看反映人身份" not in detail
    with staff.get(f"/admin/complaints/{case.id}/photos/{case.photos[0].id}") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
        assert photo.cache_control.no_store  # as every back-office page
    assert staff.post(f"/admin/complaints/{case.id}/reporter").status_code == 403
    admin = client_for("root-admin")
    assert admin.post(f"/admin/complaints/{case.id}/reporter").status_code == 403
    assert NAME not in admin.get(f"/admin/complaints/{case.id}").get_data(as_text=True)


def test_oversight_sees_the_reporter_and_the_view_is_logged(app, regions, users,
                                                            client_for) -> None:
    case, _ = named_case()
    oversight = client_for("oversight")
    detail = oversight.get(f"/admin/complaints/{case.id}").get_data(as_text=True)
    assert "查看反映人身份" in detail and NAME not in detail
    assert "受理" not in re.sub(r"<[^>]+>", "", detail).split("办理经过")[1]  # reads only
    response = oversight.post(f"/admin/complaints/{case.id}/reporter")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and NAME in body and PHONE in body
    assert response.headers["Cache-Control"] == "no-store"
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "complaint_reporter_viewed")).scalars().all()
    assert [(e.actor_name, e.object_id) for e in entries] == [("oversight", str(case.id))]
    # The county's audit log does not show that oversight looked.
    staff_log = client_for("staff-county").get("/admin/audit/").get_data(as_text=True)
    assert "complaint_reporter_viewed" not in staff_log and "查看反映人身份" not in staff_log
    anonymous, _ = file_case()
    answer = oversight.post(f"/admin/complaints/{anonymous.id}/reporter")
    assert answer.status_code == 200 and "匿名" in answer.get_data(as_text=True)
    assert oversight.post(f"/admin/complaints/{case.id}/accept").status_code == 403


def test_an_identity_no_key_opens_is_reported_and_not_logged_as_seen(app, regions, users,
                                                                      client_for) -> None:
    case, _ = named_case()
    app.config["DATA_ENCRYPTION_KEY"] = Fernet.generate_key().decode()  # the old key is lost
    response = client_for("oversight").post(f"/admin/complaints/{case.id}/reporter")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "身份信息无法解密" in body and NAME not in body
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "complaint_reporter_viewed")) is None


def test_staff_handle_a_case_through_the_back_office(app, regions, users, client_for) -> None:
    case, _ = file_case(consent_to_publish=True)
    staff = client_for("staff-county")
    base = f"/admin/complaints/{case.id}"
    assert staff.post(f"{base}/reply", data={"reply-text": "早了"}).status_code == 400
    assert staff.post(f"{base}/accept", data={"accept-text": ""}).status_code == 302
    assert staff.post(f"{base}/note", data={"note-text": "内部：先电话了解"}).status_code == 302
    assert staff.post(f"{base}/start", data={"start-text": "正在核实"}).status_code == 302
    refused = staff.post(f"{base}/reply", data={"reply-text": "请拨打 13812345678 咨询"})
    assert refused.status_code == 400 and "个人敏感号码" in refused.get_data(as_text=True)
    empty = staff.post(f"{base}/reply", data={"reply-text": " "})
    assert empty.status_code == 400 and "请填写答复内容" in empty.get_data(as_text=True)
    assert staff.post(f"{base}/reply", data={"reply-text": "资金已发放。"}).status_code == 302
    page = staff.get(f"{base}/publish").get_data(as_text=True)
    assert "资金已发放。" in page
    published = staff.post(f"{base}/publish", data={
        "title": "补助何时发放", "question": "补助没有发。", "answer": "资金已发放。"})
    assert published.status_code == 302
    assert staff.post(f"{base}/close", data={}).status_code == 302
    assert staff.post(f"{base}/unpublish", data={}).status_code == 302
    db.session.expire_all()
    done = db.session.get(Case, case.id)
    assert done.status is Status.CLOSED and done.published_at is None
    history = staff.get(base).get_data(as_text=True)
    assert "内部备注" in history and "内部：先电话了解" in history


def test_transfer_and_reject_through_the_forms(app, regions, users, client_for) -> None:
    case, _ = file_case()
    staff = client_for("staff-county")
    base = f"/admin/complaints/{case.id}"
    bad = staff.post(f"{base}/transfer", data={"transfer-region_code": "abc",
                                               "transfer-reason": "x"})
    assert bad.status_code == 400 and "12 位数字" in bad.get_data(as_text=True)
    unknown = staff.post(f"{base}/transfer", data={"transfer-region_code": f"{COUNTY_PREFIX}999000",
                                                   "transfer-reason": "x"})
    assert unknown.status_code == 400 and "没有这个区划" in unknown.get_data(as_text=True)
    other, _ = file_case()
    no_place = staff.post(f"/admin/complaints/{other.id}/reject",
                          data={"reject-reason": "不归我们管", "reject-redirect_to": ""})
    assert no_place.status_code == 400 and "可以到哪里反映" in no_place.get_data(as_text=True)
    assert staff.post(f"/admin/complaints/{other.id}/reject", data={
        "reject-reason": "不归我们管", "reject-redirect_to": "县法院"}).status_code == 302
    moved = staff.post(f"{base}/transfer", data={"transfer-region_code": SAMPLE["other_county"],
                                                 "transfer-reason": "属于邻县"})
    assert moved.status_code == 302
    # Now the other county's case: this county's staff lose it, the other county's get it.
    assert staff.get(base).status_code == 403
    assert client_for("staff-other").get(base).status_code == 200


def test_the_moderation_queue_in_the_back_office(app, regions, users, client_for) -> None:
    held, _ = file_case(suspicion="too_fast")
    spam, _ = file_case(suspicion="honeypot")
    staff = client_for("staff-county")
    queue = staff.get("/admin/complaints/?held=1").get_data(as_text=True)
    assert f"/admin/complaints/{held.id}" in queue and f"/admin/complaints/{spam.id}" in queue
    assert f"/admin/complaints/{held.id}\"" not in staff.get("/admin/complaints/").get_data(True)
    dashboard = staff.get("/admin/").get_data(as_text=True)
    assert "待审核（疑似垃圾信息）" in dashboard and "逾期未答复" in dashboard
    assert staff.post(f"/admin/complaints/{held.id}/accept").status_code == 400
    staff.post(f"/admin/complaints/{held.id}/moderate", data={"decision": "release"})
    staff.post(f"/admin/complaints/{spam.id}/moderate", data={"decision": "spam"})
    db.session.expire_all()
    assert db.session.get(Case, held.id).moderation is Moderation.NONE
    assert db.session.get(Case, spam.id).moderation is Moderation.SPAM
    assert staff.post(f"/admin/complaints/{held.id}/accept").status_code == 302
