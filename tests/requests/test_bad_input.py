"""Naughty strings in every field of the public form, the tracking form and the archive's
filters: stored exactly or refused with a Chinese 4xx, never a 5xx or half a request."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.requests.models import InfoRequest, RequestApplicant
from tests.requests.conftest import form_data

HAN = re.compile(r"[\u4e00-\u9fff]")
TEXT_FIELDS = ("subject", "body", "name", "address")


def _count() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(InfoRequest)) or 0,
            db.session.scalar(select(func.count()).select_from(RequestApplicant)) or 0)


def test_naughty_strings_are_stored_exactly_or_refused(app, client, regions,
                                                       naughty_strings: list[str]) -> None:
    outcomes: Counter[str] = Counter()
    for value in naughty_strings:
        before = _count()
        response = client.post("/requests/new", data=form_data(
            app, **{f: value for f in TEXT_FIELDS}))
        body = response.get_data(as_text=True)
        assert response.status_code < 500, value
        after = _count()
        if response.status_code == 200 and "已收到您的申请" in body:
            assert after == (before[0] + 1, before[1] + 1), value
            db.session.expire_all()
            info = db.session.scalar(select(InfoRequest).order_by(InfoRequest.id.desc()))
            assert info is not None and info.subject == value.strip() and info.body == value
            outcomes["stored"] += 1
        else:
            assert 400 <= response.status_code < 500 and HAN.search(body), value
            assert after == before, value  # never half a request
            outcomes["refused"] += 1
    assert outcomes["stored"] > 300 and outcomes["refused"] > 0, outcomes


def test_naughty_strings_in_choices_codes_and_filters_never_fail(app, client, regions,
                                                                 naughty_strings: list[str]
                                                                 ) -> None:
    for value in naughty_strings[::10]:
        for field in ("city", "county", "town", "office_kind", "delivery", "applicant_type",
                      "phone", "email", "about", "started"):
            response = client.post("/requests/new", data=form_data(app, **{field: value}))
            assert response.status_code < 500, (field, value)
        assert client.post("/requests/track", data={"code": value}).status_code < 500
        assert client.post("/requests/track/amend", data={"amend-code": value,
                                                          "amend-text": value}).status_code < 500
        for arg in ("region", "office", "status", "outcome", "about", "page"):
            for url in ("/requests/", "/requests/export.csv", "/api/v1/requests",
                        "/feeds/requests.xml"):
                response = client.get(url, query_string={arg: value})
                assert response.status_code < 500, (url, arg, value)


def test_naughty_strings_in_the_back_office_forms_never_fail(app, regions, users, client_for,
                                                            naughty_strings: list[str]) -> None:
    from tests.requests.conftest import file

    staff = client_for("staff-county")
    info, _ = file(now=None)
    fields = {
        "extend": ("extend-days", "extend-reason"), "amend": ("amend-text",),
        "consult": ("consult-text",), "note": ("note-text",),
        "answer-partial": ("answer-partial-basis", "answer-partial-text",
                           "answer-partial-withheld"),
        "answer-not_ours": ("answer-not_ours-basis", "answer-not_ours-text",
                            "answer-not_ours-referred_to"),
        "public": ("public-subject", "public-body")}
    for value in naughty_strings[::15]:
        for step, names in fields.items():
            url = f"/admin/requests/{info.id}/{step}"
            response = staff.post(url, data=dict.fromkeys(names, value))
            assert response.status_code < 500, (step, value)
        response = staff.post("/admin/requests/appeals", data={
            "office": value, "year": value, "kind": value, "result": value})
        assert response.status_code < 500, value
        db.session.rollback()
        db.session.expire_all()


def test_naughty_file_names_and_table_payloads_are_kept_or_refused(app, naughty_strings
                                                                   ) -> None:
    """Every naughty string as a file name and as a CSV table: a clean name or a Chinese
    refusal, never another error."""
    from sunshine.requests import files, filetypes
    from sunshine.requests.demo import tiny_pdf

    data = tiny_pdf("naughty")
    outcomes: Counter[str] = Counter()
    for value in naughty_strings:
        try:
            checked = files.prepare(files.Upload(value, data))
        except filetypes.AttachmentError as exc:
            assert exc.message == files.NAME_HOLDS_NUMBER, value
            outcomes["name refused"] += 1
        else:
            assert checked.name.endswith(".pdf") and "/" not in checked.name, value
        try:
            clean = filetypes.clean_file(value.encode("utf-8", "surrogatepass"), "表.csv")
        except filetypes.AttachmentError as exc:
            assert HAN.search(exc.message), value
            outcomes["table refused"] += 1
        else:
            assert clean.data.decode("utf-8-sig") == value, value
            outcomes["table kept"] += 1
    assert outcomes["table kept"] > 300 and outcomes["table refused"] > 0, outcomes


def test_naughty_files_and_references_on_the_answer_form_never_fail(
        app, regions, users, client_for, naughty_strings: list[str], xss_payloads: list[str]
) -> None:
    import io

    from sunshine.requests import files
    from sunshine.requests.demo import tiny_pdf
    from tests.requests.conftest import file

    staff = client_for("staff-county")
    info, _ = file(now=None)
    url = f"/admin/requests/{info.id}/answer-disclosed"
    for n, value in enumerate([*naughty_strings[::12], *xss_payloads[::8]]):
        response = staff.post(url, content_type="multipart/form-data", data={
            "answer-disclosed-basis": "open", "answer-disclosed-text": "",
            "answer-disclosed-file_1": (io.BytesIO(tiny_pdf(f"n{n}")), value),
            "answer-disclosed-file_2": (io.BytesIO(value.encode("utf-8", "replace")), "表.csv"),
            "answer-disclosed-kept-0-ref": value, "answer-disclosed-kept-0-clean": value,
            f"answer-disclosed-kept-{value[:20]}-ref": value})
        body = response.get_data(as_text=True)
        assert 400 <= response.status_code < 500 and HAN.search(body), value
        assert "<script>alert" not in body, value
    db.session.expire_all()
    assert db.session.get(InfoRequest, info.id).answered_at is None
    assert db.session.scalar(select(func.count(files.RequestFile.id))) == 0
