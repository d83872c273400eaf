"""Requests at the service level: choosing an office, filing in one transaction, the sealed
identity and its logged views, hashed tracking codes, the masked public text, permissions and
the answers' required parts. Also run on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.guard import PersonalDataFound
from sunshine.requests import handling, services
from sunshine.requests.models import InfoRequest, OfficeKind, Outcome, RequestApplicant, Status
from sunshine.requests.services import RequestError
from sunshine.search.index import search
from sunshine.tracked import sealing, tracking
from tests.conftest import SAMPLE, apply_search
from tests.requests.conftest import EMAIL, NAME, PHONE, china, file

pytestmark = pytest.mark.postgres


def test_offices_exist_where_the_level_has_them(app, regions) -> None:
    assert services.office_for(SAMPLE["county"], "rural").name.endswith("乡村振兴局")
    town = services.office_for(SAMPLE["town"], "government")
    assert town.key == f"{SAMPLE['town']}-government" and town.name.endswith("人民政府")
    with pytest.raises(RequestError, match="没有"):
        services.office_for(SAMPLE["town"], "rural")
    with pytest.raises(RequestError):
        services.office_for(SAMPLE["village"][:11] + "x", "rural")
    with pytest.raises(RequestError, match="机关类型"):
        services.office_for(SAMPLE["county"], "police")
    assert services.parse_office(f"{SAMPLE['county']}-finance").kind is OfficeKind.FINANCE
    for junk in ("", "../..", f"{SAMPLE['county']}-", "450102000000-rural-x", "1" * 12 + "-rural"):
        assert services.parse_office(junk) is None


def test_filing_seals_the_identity_and_hashes_the_code(app, regions) -> None:
    info, code = file()
    assert len(tracking.normalise_code(code) or "") == 16
    assert info.code_hash == tracking.code_hash(code) and code not in info.code_hash
    row = db.session.execute(select(RequestApplicant)).scalar_one()
    assert NAME not in row.sealed and PHONE not in row.sealed
    assert sealing.unseal(row.sealed)["email"] == EMAIL
    assert services.find_by_code(code.lower().replace("-", " ")) is info
    assert services.find_by_code(code[:-1] + ("0" if code[-1] != "0" else "1")) is None
    assert services.find_by_code("junk") is None
    # The archive's text: the name masked, e-mail hidden; the original kept for the office.
    assert NAME not in info.public_body and "欧**英" in info.public_body
    assert EMAIL not in info.public_body and NAME in info.body


def test_without_consent_nothing_of_the_question_is_public(app, regions) -> None:
    info, _ = file(consent_to_publish=False)
    assert info.public_subject == info.public_body == ""
    assert info.public_title.startswith("向") and info.public_title.endswith("申请公开政府信息")


def test_a_personal_number_in_the_question_keeps_it_out_of_the_archive(app, regions) -> None:
    info, _ = file(body="我的身份证号 11010519491231002X，请公开补助名单。")
    assert info.public_body == ""


@pytest.mark.parametrize(("overrides", "field"), [
    ({"subject": " "}, "subject"), ({"subject": "长" * 101}, "subject"), ({"body": ""}, "body"),
    ({"name": ""}, "name"), ({"phone": "12345"}, "phone"), ({"email": "not-an-email"}, "email"),
    ({"phone": "", "email": ""}, "phone"), ({"office_kind": "rural",
                                             "office_region_code": "999999999999"}, "office"),
])
def test_a_refused_filing_leaves_nothing_behind(app, regions, overrides, field) -> None:
    with pytest.raises(RequestError) as refused:
        file(**overrides)
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(InfoRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(RequestApplicant)) == 0


def _found(app, text: str) -> list[str]:
    apply_search(app)
    return [hit.url for hit in search(app.config["SEARCH_INDEX_DIR"], text).hits]


def test_suspect_filings_are_held_out_of_the_archive(app, regions, users) -> None:
    public, _ = file(subject="某村道路硬化工程的验收报告", body="请公开道路工程的验收报告。")
    info, _ = file(suspicion="too_fast")
    assert info.held
    assert _found(app, "衔接资金") == [] and _found(app, "验收报告") == [f"/requests/{public.id}"]
    with pytest.raises(RequestError, match="待审核"):
        handling.extend(info, users["county"], 5, "理由", now=china(11, 3))
    handling.release(info, users["county"], now=china(11, 3))
    assert not info.held
    assert _found(app, "衔接资金") == [f"/requests/{info.id}"]


def test_only_the_office_region_handles_and_every_identity_view_is_logged(app, regions,
                                                                           users) -> None:
    info, _ = file()
    with pytest.raises(PermissionDenied):
        handling.extend(info, users["other"], 5, "理由", now=china(11, 3))
    with pytest.raises(PermissionDenied):
        handling.extend(info, users["oversight"], 5, "理由", now=china(11, 3))
    with pytest.raises(PermissionDenied):
        handling.view_applicant(info, users["other"])
    with pytest.raises(PermissionDenied):
        handling.view_applicant(info, users["editor"])
    for who in ("county", "oversight"):
        assert handling.view_applicant(info, users[who])["name"] == NAME
    views = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "request_applicant_viewed")).all()
    assert len(views) == 2 and all(v.region_code == SAMPLE["province"] for v in views)


def test_answers_refuse_personal_numbers_and_need_their_parts(app, regions, users) -> None:
    info, _ = file()
    staff = users["county"]
    with pytest.raises(PersonalDataFound):
        handling.answer(info, staff, handling.Answer(
            Outcome.DISCLOSED, "open", "请致电 13800138000 领取。"), now=china(11, 5))
    with pytest.raises(RequestError, match="负责公开"):
        handling.answer(info, staff, handling.Answer(Outcome.NOT_OURS, "other_office", "转"),
                        now=china(11, 5))
    with pytest.raises(RequestError, match="法律依据"):
        handling.answer(info, staff, handling.Answer(Outcome.WITHHELD, "open", "不予公开"),
                        now=china(11, 5))
    handling.answer(info, staff, handling.Answer(
        Outcome.NOT_OURS, "other_office", "请向县财政局申请。", referred_to="县财政局"),
        now=china(11, 5))
    assert info.status is Status.ANSWERED and info.referred_to == "县财政局"
    with pytest.raises(RequestError):
        handling.answer(info, staff, handling.Answer(Outcome.DISCLOSED, "open", "再答复"),
                        now=china(11, 6))


def test_notes_stay_internal(app, regions, users) -> None:
    info, _ = file()
    handling.add_note(info, users["county"], "已电话联系申请人")
    assert "已电话联系申请人" not in " ".join(e.text for e in services.public_history(info))


def test_the_often_requested_list_counts_different_applicants(app, regions) -> None:
    from sunshine.requests import queries

    for name, phone in (("张三丰", "13900000001"), ("李四光", "13900000002"),
                        ("张三丰", "13900000001")):
        file(about="/projects/3", name=name, phone=phone)
    assert queries.often_requested() == []
    file(about="/projects/3", name="王五", phone="13900000003", office_kind="government")
    assert queries.often_requested() == []  # another office
    file(about="/projects/3", name="王五", phone="13900000003")
    [often] = queries.often_requested()
    assert (often.about, often.applicants, often.requests) == ("/projects/3", 3, 4)
    assert often.office.key == f"{SAMPLE['county']}-rural"
