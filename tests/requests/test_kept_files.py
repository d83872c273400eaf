"""An answer form that comes back with an error keeps the files that passed their check, so
that staff choose again only the refused one: kept for the staff member's own session and
request, attached only when the answer is saved, and swept when nobody used them."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from sunshine.accounts.models import Role
from sunshine.extensions import db
from sunshine.requests import files, staging, sweep
from sunshine.requests.models import InfoRequest, Status
from tests.factories import make_user
from tests.requests.conftest import file
from tests.requests.test_files import _answer, _get, _rows, _stored, pdf

pytestmark = pytest.mark.postgres

PREFIX = "answer-disclosed"


def _kept(page: str) -> list[tuple[str, bool]]:
    """The kept files' signed references on a page, each with whether its 已核对 box is on."""
    refs = re.findall(rf'name="{PREFIX}-kept-(\d+)-ref" type="hidden" value="([^"]+)"', page)
    return [(ref, re.search(rf'<input checked id="{PREFIX}-kept-{n}-clean"', page) is not None)
            for n, ref in refs]


def _staged(app: Flask) -> set[str]:
    folder = Path(app.config["UPLOAD_DIR"]) / staging.FOLDER
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _again(staff: FlaskClient, info: InfoRequest, kept: list[tuple[str, bool]],
           uploads: list[tuple[bytes, str, bool]] = (), removed: tuple[int, ...] = (),
           **extra: str) -> Any:
    """Send the form shown again: its kept files (less those in ``removed``) and new ones."""
    fields: dict[str, Any] = {}
    for n, (ref, clean) in enumerate(kept):
        fields[f"{PREFIX}-kept-{n}-ref"] = ref
        if clean:
            fields[f"{PREFIX}-kept-{n}-clean"] = "y"
        if n in removed:
            fields[f"{PREFIX}-kept-{n}-remove"] = "y"
    return _answer(staff, info, list(uploads), **fields, **extra)


def test_only_the_refused_file_is_chosen_again(app, client, regions, users,
                                               client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    refused = _answer(staff, info, [(pdf("a"), "资金明细.pdf", True),
                                    (b"<html>not a pdf</html>", "坏文件.pdf", False),
                                    (pdf("b"), "发放名单.pdf", False)])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "只能上传" in page
    assert "通过检查的文件已保留" in page and "只重新选择被退回的文件" in page
    assert "资金明细.pdf" in page and "发放名单.pdf" in page
    kept = _kept(page)
    assert [clean for _, clean in kept] == [True, False]
    # Nothing attached, nothing in the store, the answer not sent.
    assert _rows() == [] and _stored(app) == set() and len(_staged(app)) == 2
    db.session.expire_all()
    assert db.session.get(InfoRequest, info.id).status is Status.RECEIVED

    done = _again(staff, info, kept, [(pdf("c"), "补充.pdf", True)])
    assert done.status_code == 302, done.get_data(as_text=True)
    rows = _rows()
    assert [(r.name, r.confirmed) for r in rows] == [
        ("资金明细.pdf", True), ("发放名单.pdf", False), ("补充.pdf", True)]
    assert _stored(app) == {r.stored for r in rows} and _staged(app) == set()
    assert _get(client, f"/requests/{info.id}/files/{rows[0].id}/资金明细.pdf").data == pdf("a")


def test_a_kept_file_can_be_taken_off_or_its_box_changed(app, regions, users,
                                                         client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    refused = _answer(staff, info, [(pdf("a"), "一.pdf", True), (pdf("b"), "二.pdf", True)],
                      **{f"{PREFIX}-basis": ""})  # no legal basis chosen
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "请选择答复的法律依据" in page
    kept = _kept(page)
    assert len(kept) == 2
    done = _again(staff, info, [(kept[0][0], False), kept[1]], removed=(1,))
    assert done.status_code == 302
    assert [(r.name, r.confirmed) for r in _rows()] == [("一.pdf", False)]


def test_a_file_chosen_again_next_to_its_kept_copy_is_named(app, regions, users,
                                                            client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    kept = _kept(_answer(staff, info, [(pdf("a"), "一.pdf", True), (b"", "空.pdf", False)]
                         ).get_data(as_text=True))
    twice = _again(staff, info, kept, [(pdf("a"), "一.pdf", True)])
    assert twice.status_code == 400 and "“一.pdf”已经附上了" in twice.get_data(as_text=True)
    assert len(_kept(twice.get_data(as_text=True))) == 1 and _rows() == []


def test_too_many_with_the_kept_ones_is_refused_and_all_stay_listed(app, regions, users,
                                                                   client_for) -> None:
    app.config["REQUEST_ATTACHMENT_MAX_FILES"] = 2
    info, _ = file(now=None)
    staff = client_for("staff-county")
    kept = _kept(_answer(staff, info, [(pdf("a"), "一.pdf", True), (pdf("b"), "二.pdf", True)],
                         **{f"{PREFIX}-text": ""}).get_data(as_text=True))
    more = _again(staff, info, kept, [(pdf("c"), "三.pdf", True)])
    page = more.get_data(as_text=True)
    assert more.status_code == 400 and "最多附 2 个文件" in page
    assert len(_kept(page)) == 3 and _rows() == []
    assert _again(staff, info, _kept(page), removed=(2,)).status_code == 302
    assert [r.name for r in _rows()] == ["一.pdf", "二.pdf"]


def _refused_with(staff: FlaskClient, info: InfoRequest, kept: list[tuple[str, bool]]) -> str:
    response = _again(staff, info, kept)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "先前保留的文件已失效" in page, page[-3000:]
    return page


def test_a_reference_works_only_for_its_user_session_and_request(app, regions, users,
                                                                 client_for) -> None:
    make_user("staff-county-2", Role.STAFF, regions["county"])
    info, _ = file(now=None)
    second, _ = file(now=None, name="李四", phone="13900000001", email="")
    staff = client_for("staff-county")
    kept = _kept(_answer(staff, info, [(pdf("a"), "一.pdf", True), (b"x", "坏.pdf", False)]
                         ).get_data(as_text=True))
    assert len(kept) == 1
    # A colleague of the same office, the same person in another session, another request.
    _refused_with(client_for("staff-county-2"), info, kept)
    _refused_with(client_for("staff-county"), info, kept)
    _refused_with(staff, second, kept)
    # A changed signature, and a reference signed with another key.
    ref = kept[0][0]
    _refused_with(staff, info, [(ref[:-2] + ("AA" if not ref.endswith("AA") else "BB"), True)])
    forged = URLSafeTimedSerializer("guessed", salt="request-staged-file").dumps(
        ["1:0", "x", info.id, "../../../etc/passwd", "passwd"])
    _refused_with(staff, info, [(forged, True), ("", True), ("\x00../", True)])
    assert _rows() == []
    # The owner in the session that chose it still can.
    assert _again(staff, info, kept).status_code == 302 and len(_rows()) == 1


def test_a_path_is_only_ever_a_content_hash(app, regions, users) -> None:
    user = users["county"]
    outside = Path(app.config["UPLOAD_DIR"]) / "secret.pdf"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(pdf())
    with app.test_request_context():
        signer = staging._signer()  # as if the key leaked: the name is still checked
        for stored in ("../secret.pdf", "/etc/passwd", "a" * 64 + ".pdf/../../x",
                       "A" * 64 + ".pdf", "a" * 64 + ".exe", "a" * 63 + ".pdf"):
            ref = signer.dumps([user.get_id(), "key", 1, stored, "x.pdf"])
            with pytest.raises(files.AttachmentError, match="失效"):
                staging.load(user, "key", 1, ref, True)


def test_a_kept_file_changed_on_disk_or_too_old_is_not_attached(app, regions, users,
                                                                 client_for,
                                                                 monkeypatch) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    kept = _kept(_answer(staff, info, [(pdf("a"), "一.pdf", True), (b"x", "坏.pdf", False)]
                         ).get_data(as_text=True))
    folder = Path(app.config["UPLOAD_DIR"]) / staging.FOLDER
    (path,) = folder.iterdir()
    path.write_bytes(pdf("changed"))
    _refused_with(staff, info, kept)
    path.unlink()
    _refused_with(staff, info, kept)
    kept = _kept(_answer(staff, info, [(pdf("a"), "一.pdf", True), (b"x", "坏.pdf", False)]
                         ).get_data(as_text=True))
    monkeypatch.setattr(staging, "STAGED_SECONDS", -1)
    _refused_with(staff, info, kept)
    assert _rows() == []


def test_the_clock_sweeps_kept_files_nobody_used(app, regions, users, client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    _answer(staff, info, [(pdf("a"), "一.pdf", True), (pdf("b"), "二.pdf", True),
                          (b"x", "坏.pdf", False)])
    folder = Path(app.config["UPLOAD_DIR"]) / staging.FOLDER
    old, young = sorted(folder.iterdir())
    then = old.stat().st_mtime - staging.STAGED_SECONDS - 60
    os.utime(old, (then, then))
    sweep.run()
    assert _staged(app) == {young.name}
    assert staff.get("/admin/requests/").status_code == 200  # the list runs the sweep too
    result = app.test_cli_runner().invoke(args=["requests", "overdue"])
    assert result.exit_code == 0 and _staged(app) == {young.name}


def test_the_form_without_its_csrf_token_keeps_nothing(app, regions, users,
                                                       client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = staff.post(f"/admin/requests/{info.id}/{PREFIX}", content_type=(
            "multipart/form-data"), data={f"{PREFIX}-basis": "open", f"{PREFIX}-text": "见附件",
                                          f"{PREFIX}-file_1": (io.BytesIO(pdf()), "a.pdf")})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert _staged(app) == set() and _rows() == []


def test_files_are_kept_only_for_those_who_may_answer(app, regions, users, client_for) -> None:
    info, _ = file(now=None)
    oversight = client_for("oversight")  # reads every request of the province, answers none
    refused = _answer(oversight, info, [(pdf("a"), "一.pdf", True)], **{f"{PREFIX}-text": ""})
    assert refused.status_code == 400 and _kept(refused.get_data(as_text=True)) == []
    assert _answer(oversight, info, [(pdf("a"), "一.pdf", True)]).status_code == 403
    other = client_for("staff-other")
    assert _answer(other, info, [(pdf("a"), "一.pdf", True)],
                   **{f"{PREFIX}-text": ""}).status_code == 403
    assert _staged(app) == set() and _rows() == []
