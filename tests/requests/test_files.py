"""Answers with documents: uploads checked by their bytes, one transaction with the answer, the
publish guard (the applicant's consent and staff's check of each file), the download headers,
the applicant's links, the region scope, and names that try to be paths."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.notify.models import Message
from sunshine.requests import attachments, files, filetypes, handling
from sunshine.requests.demo import tiny_pdf
from sunshine.requests.models import InfoRequest, Outcome, Status
from tests.images import CAMERA, jpeg_with_gps
from tests.requests.conftest import NAME, file

pytestmark = pytest.mark.postgres

ANSWER = "answer-disclosed"


def pdf(label: str = "one") -> bytes:
    return tiny_pdf("Sunshine test", label)


def _answer(staff: FlaskClient, info: InfoRequest, uploads: list[tuple[bytes, str, bool]],
            outcome: str = "disclosed", **extra: str) -> Any:
    prefix = f"answer-{outcome}"
    data: dict[str, Any] = {f"{prefix}-basis": "open" if outcome == "disclosed" else "third_party",
                            f"{prefix}-text": "现将资金明细随本答复提供。", **extra}
    for slot, (content, name, clean) in enumerate(uploads, 1):
        data[f"{prefix}-file_{slot}"] = (io.BytesIO(content), name)
        if clean:
            data[f"{prefix}-clean_{slot}"] = "y"
    return staff.post(f"/admin/requests/{info.id}/{prefix}", data=data,
                      content_type="multipart/form-data")


def _stored(app: Flask) -> set[str]:
    folder = Path(app.config["UPLOAD_DIR"]) / files.FOLDER
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _rows() -> list[files.RequestFile]:
    return list(db.session.scalars(select(files.RequestFile).order_by(files.RequestFile.id)))


def _get(client: FlaskClient, url: str, **options: Any) -> Any:
    """A download, read and closed (its file handle with it)."""
    response = client.get(url, **options)
    response.get_data()
    response.close()
    return response


def _track(client: FlaskClient, code: str) -> str:
    return client.post("/requests/track", data={"code": code}).get_data(as_text=True)


def _links(page: str, prefix: str) -> list[str]:
    found, start = [], 0
    while (start := page.find(f'href="{prefix}', start)) != -1:
        start += len('href="')
        found.append(page[start:page.index('"', start)].replace("&amp;", "&"))
    return found


def test_an_answer_with_files_publishes_only_the_checked_ones(app, client, regions, users,
                                                             client_for) -> None:
    info, code = file(now=None)
    staff = client_for("staff-county")
    done = _answer(staff, info, [(pdf("public"), "资金明细.pdf", True),
                                 (pdf("private"), "发放名单.pdf", False)])
    assert done.status_code == 302, done.get_data(as_text=True)
    shown, private = _rows()
    assert (shown.name, shown.confirmed, private.confirmed) == ("资金明细.pdf", True, False)
    assert _stored(app) == {shown.stored, private.stored}
    db.session.expire_all()
    assert db.session.get(InfoRequest, info.id).status is Status.ANSWERED

    page = client.get(f"/requests/{info.id}").get_data(as_text=True)
    assert "资金明细.pdf" in page and "发放名单.pdf" not in page
    public = f"/requests/{info.id}/files/{shown.id}/资金明细.pdf"
    answer = _get(client, public)
    assert answer.status_code == 200 and answer.data == pdf("public")
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E8%B5%84" in answer.headers["Content-Disposition"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == "sandbox"
    assert answer.headers["ETag"]
    again = _get(client, public, headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    # The unchecked file, a wrong name, another request's id: no such public file.
    assert _get(client, f"/requests/{info.id}/files/{private.id}/发放名单.pdf").status_code == 404
    assert _get(client, f"/requests/{info.id}/files/{shown.id}/other.pdf").status_code == 404
    assert _get(client, f"/requests/{info.id + 1}/files/{shown.id}/资金明细.pdf").status_code == 404

    api = client.get(f"/api/v1/requests/{info.id}").get_json()
    assert [f["name"] for f in api["files"]] == ["资金明细.pdf"]
    assert api["files"][0]["url"].endswith(f"/requests/{info.id}/files/{shown.id}/"
                                           "%E8%B5%84%E9%87%91%E6%98%8E%E7%BB%86.pdf")

    # The applicant sees both, with links of their own that need no login.
    tracked = _track(client, code)
    assert "资金明细.pdf" in tracked and "发放名单.pdf" in tracked
    links = _links(tracked, "/requests/track/files/")
    assert len(links) == 2
    fresh = app.test_client()
    got = _get(fresh, links[1])
    assert got.status_code == 200 and got.data == pdf("private")
    assert "no-store" in got.headers["Cache-Control"]
    assert _get(fresh, links[1][:-3] + "abc").status_code == 404


def test_the_applicant_is_told_of_the_files(app, regions, users) -> None:
    info, _ = file(now=None)
    handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("a.pdf", pdf(), True)])
    mail = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
    assert mail is not None and "答复附有 1 个文件" in mail.text
    assert "a.pdf" not in mail.text and NAME not in mail.text


def test_no_consent_means_no_public_file(app, client, regions, users) -> None:
    info, _ = file(now=None, consent_to_publish=False)
    handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("a.pdf", pdf(), True)])
    row = _rows()[0]
    assert _get(client, f"/requests/{info.id}/files/{row.id}/a.pdf").status_code == 404
    assert "a.pdf" not in client.get(f"/requests/{info.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/requests/{info.id}").get_json()["files"] == []


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"<html><script>alert(1)</script></html>", "答复.pdf", "只能上传 PDF 文件"),
    (b"%PDF-1.4\n<html>no end of file marker", "truncated.pdf", "只能上传 PDF 文件"),
    (b"\xff\xd8\xff<html>not really a photo</html>", "scan.jpg", "无法识别这个文件"),
    (b"", "empty.pdf", "空文件"),
])
def test_a_file_that_is_not_a_pdf_keeps_the_answer_text_and_nothing_else(
        app, regions, users, client_for, content, name, message) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    refused = _answer(staff, info, [(pdf(), "good.pdf", True), (content, name, False)])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in page
    assert "现将资金明细随本答复提供。" in page  # the text typed is still in the form
    assert "没有附上任何文件" in page and "通过检查的文件已保留" in page
    assert 'name="answer-disclosed-kept-0-ref"' in page and "good.pdf" in page
    db.session.expire_all()
    assert db.session.get(InfoRequest, info.id).status is Status.RECEIVED
    assert _rows() == [] and _stored(app) == set()


def test_too_big_and_too_many_are_refused(app, regions, users, client_for) -> None:
    app.config["REQUEST_ATTACHMENT_MAX_BYTES"] = 2000
    app.config["REQUEST_ATTACHMENT_MAX_FILES"] = 2
    info, _ = file(now=None)
    staff = client_for("staff-county")
    big = pdf() + b"%" + b"x" * 2000 + b"\n%%EOF\n"
    refused = _answer(staff, info, [(big, "big.pdf", True)])
    assert refused.status_code == 400 and "每个文件不能超过 1 KB" in refused.get_data(True)
    refused = _answer(staff, info, [(pdf("1"), "1.pdf", True), (pdf("2"), "2.pdf", True),
                                    (pdf("3"), "3.pdf", True)])
    assert refused.status_code == 400 and "最多附 2 个文件" in refused.get_data(True)
    assert _rows() == [] and _stored(app) == set()
    assert _answer(staff, info, [(pdf("1"), "1.pdf", True), (pdf("2"), "2.pdf", True)]
                   ).status_code == 302
    added = staff.post(f"/admin/requests/{info.id}/files", content_type="multipart/form-data",
                       data={"attach-file": (io.BytesIO(pdf("3")), "3.pdf")})
    assert added.status_code == 400 and "已经附了 2 个" in added.get_data(True)
    # The refused file took nothing with it: the answer and its two files stand.
    db.session.expire_all()
    assert db.session.get(InfoRequest, info.id).answer == "现将资金明细随本答复提供。"
    assert [r.name for r in _rows()] == ["1.pdf", "2.pdf"] and len(_stored(app)) == 2
    page = staff.get(f"/admin/requests/{info.id}").get_data(as_text=True)
    assert "1.pdf" in page and "已核对：不含个人信息" in page


def test_a_scanned_page_is_stored_without_its_metadata(app, client, regions, users) -> None:
    info, _ = file(now=None)
    handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("扫描件.pdf", jpeg_with_gps(), True)])
    row = _rows()[0]
    assert (row.name, row.content_type, row.kind) == ("扫描件.jpg", "image/jpeg", "JPEG 图片")
    assert row.stored.endswith(".jpg")
    answer = _get(client, f"/requests/{info.id}/files/{row.id}/扫描件.jpg")
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.data.startswith(b"\xff\xd8\xff") and CAMERA.encode() not in answer.data
    assert b"Exif" not in answer.data


def test_outcomes_that_send_no_documents_take_no_files(app, regions, users) -> None:
    info, _ = file(now=None)
    with pytest.raises(files.AttachmentError, match="予以公开"):
        handling.answer(info, users["county"], handling.Answer(
            Outcome.WITHHELD, "process", "过程性信息"), uploads=[files.Upload("a.pdf", pdf())])
    db.session.rollback()
    assert _rows() == []


def test_a_failed_commit_leaves_no_file_behind(app, regions, users, monkeypatch) -> None:
    info, _ = file(now=None)

    def fail() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                        uploads=[files.Upload("a.pdf", pdf(), True)])
    monkeypatch.undo()
    assert _stored(app) == set()
    assert db.session.scalar(select(func.count(files.RequestFile.id))) == 0


def test_staff_add_check_and_remove_files_after_the_answer_in_their_region_only(
        app, client, regions, users, client_for) -> None:
    info, _ = file(now=None)
    handling.answer(info, users["county"], handling.Answer(Outcome.PARTIAL, "third_party",
                                                           "见附件", withheld="报价单"))
    other = client_for("staff-other")
    sneaky = other.post(f"/admin/requests/{info.id}/files", content_type="multipart/form-data",
                        data={"attach-file": (io.BytesIO(pdf()), "a.pdf"), "attach-clean": "y"})
    assert sneaky.status_code == 403 and _rows() == []
    oversight = client_for("oversight")
    assert oversight.post(f"/admin/requests/{info.id}/files", content_type="multipart/form-data",
                          data={"attach-file": (io.BytesIO(pdf()), "a.pdf")}).status_code == 403

    staff = client_for("staff-county")
    done = staff.post(f"/admin/requests/{info.id}/files", content_type="multipart/form-data",
                      data={"attach-file": (io.BytesIO(pdf()), "清单.pdf")})
    assert done.status_code == 302
    mail = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
    assert mail is not None and "答复补充了 1 个文件" in mail.text and "清单" not in mail.text
    row = _rows()[0]
    assert not row.confirmed
    url = f"/requests/{info.id}/files/{row.id}/清单.pdf"
    assert _get(client, url).status_code == 404
    assert other.post(f"/admin/requests/{info.id}/files/{row.id}/confirm").status_code == 403
    assert _get(other, f"/admin/requests/{info.id}/files/{row.id}").status_code == 403
    assert _get(staff, f"/admin/requests/{info.id}/files/{row.id}").data == pdf()
    assert staff.post(f"/admin/requests/{info.id}/files/{row.id}/confirm").status_code == 302
    assert _get(client, url).status_code == 200
    assert staff.post(f"/admin/requests/{info.id}/files/{row.id}/private").status_code == 302
    assert _get(client, url).status_code == 404
    assert other.post(f"/admin/requests/{info.id}/files/{row.id}/remove").status_code == 403
    assert staff.post(f"/admin/requests/{info.id}/files/{row.id}/remove").status_code == 302
    assert _rows() == [] and _stored(app) == set()


def test_a_file_shared_by_two_answers_stays_until_both_let_go(app, regions, users) -> None:
    first, _ = file(now=None)
    second, _ = file(now=None, name="李四", phone="13900000001", email="")
    for info in (first, second):
        handling.answer(info, users["county"], handling.Answer(
            Outcome.DISCLOSED, "open", "见附件"), uploads=[files.Upload("a.pdf", pdf(), True)])
    one, two = _rows()
    assert one.stored == two.stored and len(_stored(app)) == 1
    attachments.remove(first, users["county"], one.id)
    assert _stored(app) == {two.stored}
    attachments.remove(second, users["county"], two.id)
    assert _stored(app) == set()


def test_an_unpublished_or_held_request_has_no_public_files(app, client, regions, users) -> None:
    held, _ = file(now=None, suspicion="too_fast")
    held.held = False
    handling.answer(held, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("a.pdf", pdf(), True)])
    row = _rows()[0]
    url = f"/requests/{held.id}/files/{row.id}/a.pdf"
    assert _get(client, url).status_code == 200
    held.held = True
    db.session.commit()
    assert _get(client, url).status_code == 404
    assert files.public_files(held) == []


def test_names_that_try_to_be_paths_or_markup_are_only_names(app, client, regions, users,
                                                             naughty_strings) -> None:
    names = [*naughty_strings[:200], "../../etc/passwd", "..\\..\\boot.ini", "/etc/shadow",
             "a\x00b.pdf", "\u202egnp.pdf", "CON", ".", "..", "x" * 500,
             f"{NAME}的答复.pdf", "<script>alert(1)</script>.pdf"]
    user = users["county"]
    for n, raw in enumerate(names):
        assert filetypes.clean_name(raw).endswith(".pdf")
        info, _ = file(now=None, name=NAME if NAME in raw else f"申请人{n}",
                       phone=f"139{n:08d}", email="")
        try:
            handling.answer(info, user, handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                            uploads=[files.Upload(raw, pdf(f"n{n}"), True)])
        except Exception as exc:  # a name with a personal number is refused, nothing else
            db.session.rollback()
            assert isinstance(exc, files.AttachmentError), (raw, exc)
            assert exc.message == files.NAME_HOLDS_NUMBER, (raw, exc)
            continue
        row = db.session.scalar(select(files.RequestFile).where(
            files.RequestFile.request_id == info.id))
        assert row is not None
        assert "/" not in row.name and "\\" not in row.name and "\x00" not in row.name
        assert len(row.name) <= 84 and row.stored.endswith(".pdf") and len(row.stored) == 68
        if raw == f"{NAME}的答复.pdf":
            assert NAME not in row.name
        page = client.get(f"/requests/{info.id}").get_data(as_text=True)
        assert "<script>alert(1)" not in page
        with app.test_request_context():
            url = files.public_url(row)
        answer = _get(client, url)
        assert answer.status_code == 200, (raw, url)
        assert answer.data == pdf(f"n{n}")
    folder = Path(app.config["UPLOAD_DIR"]) / files.FOLDER
    assert all(p.parent == folder for p in folder.rglob("*"))


def test_prune_removes_only_old_files_no_answer_names(app, regions, users) -> None:
    info, _ = file(now=None)
    handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("a.pdf", pdf(), True)])
    kept = _rows()[0].stored
    folder = files.directory()
    for name in ("0" * 64 + ".pdf", "1" * 64 + ".part", "2" * 64 + ".png"):
        (folder / name).write_bytes(b"left over")
    old = (folder / kept).stat().st_mtime - 7200
    for name in (kept, "0" * 64 + ".pdf", "1" * 64 + ".part"):
        os.utime(folder / name, (old, old))
    assert files.prune() == 2  # the young stray file may belong to a commit on its way
    assert _stored(app) == {kept, "2" * 64 + ".png"}
    result = app.test_cli_runner().invoke(args=["requests", "prune-files"])
    assert result.exit_code == 0 and "删除了 0 个" in result.output
