"""Cases at the service level: routing, deadlines, the state machine, rating and reopening,
moderation, one transaction, publishing (identities and tracking codes: test_services_identities).
Also run on PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from sunshine.audit import AuditEntry
from sunshine.complaints import handling, services
from sunshine.complaints.models import Case, CasePhoto, CaseReporter, Moderation, Rating, Status
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.guard import PersonalDataFound
from sunshine.search.index import search
from sunshine.tracked import sealing
from tests.complaints.conftest import PHONE, file_case, named_case
from tests.conftest import COUNTY_PREFIX, SAMPLE, apply_search

pytestmark = pytest.mark.postgres

VILLAGE, TOWN, COUNTY = SAMPLE["village"], SAMPLE["town"], SAMPLE["county"]


def actions(case: Case) -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).where(
        AuditEntry.object_type == "complaint", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id)).scalars())


# --- routing and deadlines -----------------------------------------------------------------


def test_routing_sends_village_cases_to_the_town_and_cadre_cases_one_level_up(app,
                                                                               regions) -> None:
    assert services.route(VILLAGE, False) == TOWN
    assert services.route(TOWN, False) == TOWN
    assert services.route(COUNTY, False) == COUNTY
    # About village or town cadres: neither the village nor the town handles it.
    assert services.route(VILLAGE, True) == COUNTY
    assert services.route(TOWN, True) == COUNTY
    assert services.route(COUNTY, True) == SAMPLE["city"]
    assert services.route(SAMPLE["city"], True) == SAMPLE["province"]
    assert services.route(SAMPLE["province"], True) == SAMPLE["province"]
    case, _ = file_case(about_local_cadres=True)
    assert case.handling_region_code == COUNTY and case.region_code == VILLAGE


def test_the_reply_deadline_is_configurable_in_calendar_or_working_days(app, regions) -> None:
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    case, _ = file_case(now=friday)
    assert case.deadline == friday + timedelta(days=15)
    app.config.update(COMPLAINT_REPLY_DAYS=3, COMPLAINT_REPLY_WORKING_DAYS=True)
    case, _ = file_case(now=friday)
    assert case.deadline == friday + timedelta(days=5)  # Mon, Tue, Wed


def test_filing_checks_fields_and_refuses_unknown_regions(app, regions) -> None:
    with pytest.raises(services.CaseError) as caught:
        file_case(region=f"{COUNTY_PREFIX}999999")
    assert caught.value.field == "region"
    with pytest.raises(services.CaseError):
        file_case(region=SAMPLE["city"])  # a city: choose at least a county
    with pytest.raises(services.CaseError) as caught:
        file_case(category="不存在的类别")
    assert caught.value.field == "category"
    with pytest.raises(services.CaseError) as caught:
        file_case(named=True, name="张三", phone="12345")
    assert caught.value.field == "phone"
    with pytest.raises(services.CaseError) as caught:
        file_case(named=True, name=" ", phone=PHONE)
    assert caught.value.field == "name"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


# --- the state machine ---------------------------------------------------------------------


def test_a_case_walks_the_state_machine_and_every_step_is_audited(app, regions, users) -> None:
    staff = users["county"]
    case, _ = file_case()
    assert case.status is Status.SUBMITTED
    with pytest.raises(services.CaseError):
        handling.reply(case, staff, "答复")  # not accepted yet
    with pytest.raises(services.CaseError):
        handling.close(case, staff)
    handling.accept(case, staff)
    handling.add_note(case, staff, "内部：先电话联系村委")
    handling.start(case, staff, "正在核实")
    handling.reply(case, staff, "经核查，资金已发放到户。")
    assert case.status is Status.REPLIED and case.first_replied_at is not None
    handling.close(case, staff)
    assert case.status is Status.CLOSED and case.closed_at is not None
    for step in (handling.accept, handling.start, handling.close):
        with pytest.raises(services.CaseError):
            step(case, staff)
    assert actions(case) == ["complaint_submitted", "complaint_accepted", "complaint_note",
                             "complaint_in_progress", "complaint_replied", "complaint_closed"]
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.object_type == "complaint", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id)).scalars().all()
    assert all(e.region_code == TOWN for e in entries)
    assert {e.actor_name for e in entries[1:]} == {"staff-county"}
    # Internal notes are not part of what the reporter reads.
    history = " ".join(e.text for e in services.public_history(case))
    assert "内部" not in history and "经核查，资金已发放到户。" in " ".join(
        e.text for e in case.events)


def test_rejecting_needs_a_reason_and_where_to_go(app, regions, users) -> None:
    case, _ = file_case()
    with pytest.raises(services.CaseError) as caught:
        handling.reject(case, users["county"], "不属于扶贫职责", "")
    assert caught.value.field == "redirect_to"
    handling.reject(case, users["county"], "属于司法程序", "县人民法院立案庭")
    assert case.status is Status.REJECTED and case.redirect_to == "县人民法院立案庭"
    assert case.first_replied_at is not None  # an answer, for the deadline
    assert "县人民法院立案庭" in services.public_history(case)[-1].text


def test_transfer_moves_the_case_keeps_the_deadline_and_protects_cadre_cases(app, regions,
                                                                            users) -> None:
    case, _ = file_case()
    deadline = case.deadline
    with pytest.raises(services.CaseError):
        handling.transfer(case, users["county"], VILLAGE, "转村里")  # not a handling unit
    handling.transfer(case, users["county"], COUNTY, "由县里直接办理")
    assert case.status is Status.TRANSFERRED and case.handling_region_code == COUNTY
    assert case.deadline == deadline
    assert actions(case)[-2:] == ["complaint_transferred", "complaint_received"]
    # The town's staff no longer see it.
    with pytest.raises(PermissionDenied):
        handling.readable(case, users["town"])
    cadres, _ = file_case(about_local_cadres=True)
    with pytest.raises(services.CaseError):
        handling.transfer(cadres, users["county"], TOWN, "转乡镇")  # back to the people named
    handling.transfer(cadres, users["county"], SAMPLE["city"], "转市里")
    assert cadres.handling_region_code == SAMPLE["city"]


def test_only_staff_of_the_handling_region_act_and_oversight_only_reads(app, regions,
                                                                        users) -> None:
    case, _ = file_case(about_local_cadres=True)  # handled by the county
    for who in ("other", "town", "oversight", "editor"):
        with pytest.raises(PermissionDenied):
            handling.accept(case, users[who])
    for who in ("other", "town", "editor"):
        with pytest.raises(PermissionDenied):
            handling.readable(case, users[who])
    handling.readable(case, users["oversight"])
    handling.readable(case, users["admin"])
    handling.accept(case, users["admin"])
    assert case.status is Status.ACCEPTED


def test_the_reply_must_not_hold_personal_numbers(app, regions, users) -> None:
    case, _ = file_case()
    handling.accept(case, users["county"])
    with pytest.raises(PersonalDataFound):
        handling.reply(case, users["county"], "请联系 13812345678 领取")
    db.session.rollback()
    assert db.session.get(Case, case.id).status is Status.ACCEPTED


def _answered(users) -> Case:  # type: ignore[no-untyped-def]
    case, _ = file_case()
    handling.accept(case, users["county"])
    handling.reply(case, users["county"], "资金下月发放。")
    return case


def test_the_reporter_rates_and_reopens_once_when_dissatisfied(app, regions, users) -> None:
    case = _answered(users)
    assert services.can_rate(case) and not services.can_reopen(case)
    with pytest.raises(services.CaseError):
        services.reopen(case, "不满意")  # not rated yet
    services.rate(case, Rating.DISSATISFIED, "答复太笼统")
    assert case.status is Status.REPLIED and services.can_reopen(case)
    with pytest.raises(services.CaseError):
        services.rate(case, Rating.SATISFIED)  # already rated
    before = datetime.now(UTC)
    services.reopen(case, "没有说明什么时候发")
    assert case.status is Status.IN_PROGRESS and case.reopen_count == 1
    assert case.deadline >= before + timedelta(days=15) - timedelta(seconds=5)
    handling.reply(case, users["county"], "资金将于 12 月 10 日前发放。")
    services.rate(case, Rating.DISSATISFIED)
    assert not services.can_reopen(case)
    with pytest.raises(services.CaseError):
        services.reopen(case, "还是不满意")
    assert actions(case).count("complaint_reopened") == 1


def test_a_satisfied_rating_closes_the_case(app, regions, users) -> None:
    case = _answered(users)
    services.rate(case, Rating.FAIRLY)
    assert case.status is Status.CLOSED and case.rating is Rating.FAIRLY
    assert not services.can_rate(case) and not services.can_reopen(case)


def test_the_overdue_sweep_flags_late_cases_once(app, regions, users) -> None:
    now = datetime.now(UTC)
    late, _ = file_case(now=now - timedelta(days=20))
    fresh, _ = file_case(now=now - timedelta(days=2))
    answered, _ = file_case(now=now - timedelta(days=20))
    handling.accept(answered, users["county"], now=now - timedelta(days=19))
    handling.reply(answered, users["county"], "已答复", now=now - timedelta(days=10))
    assert handling.mark_overdue(now) == 1
    assert late.status is Status.OVERDUE and late.was_overdue
    assert fresh.status is Status.SUBMITTED and answered.status is Status.REPLIED
    assert handling.mark_overdue(now) == 0
    handling.accept(late, users["county"], now=now)
    assert late.status is Status.ACCEPTED and late.overdue(now)  # still late, still listed
    assert handling.mark_overdue(now) == 0
    counts = handling.counts_for(users["county"], now)
    assert counts["overdue"] == 1 and counts["waiting"] == 1
    assert handling.counts_for(users["other"], now) == {"waiting": 0, "overdue": 0, "held": 0}


def test_suspected_spam_waits_in_the_moderation_queue(app, regions, users) -> None:
    held, _ = file_case(suspicion="honeypot")
    links, _ = file_case(body="http://a.example http://b.example www.c.example 便宜")
    clean, _ = file_case()
    assert held.moderation is Moderation.HELD and links.moderation is Moderation.HELD
    listed = db.session.execute(handling.admin_query(
        users["county"], handling.AdminFilters())).scalars().all()
    assert listed == [clean]
    queue = db.session.execute(handling.admin_query(
        users["county"], handling.AdminFilters(held=True))).scalars().all()
    assert set(queue) == {held, links}
    with pytest.raises(services.CaseError):
        handling.accept(held, users["county"])
    handling.moderate(held, users["county"], spam=False)
    handling.accept(held, users["county"])
    handling.moderate(links, users["county"], spam=True)
    assert links.status is Status.REJECTED and links.moderation is Moderation.SPAM


# --- one transaction -----------------------------------------------------------------------


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_submission_is_one_transaction(app, regions, monkeypatch) -> None:
    uploads = app.config["UPLOAD_DIR"]
    case, _ = named_case(photos=[_jpeg()])
    assert len(case.photos) == 1 and db.session.scalar(
        select(func.count()).select_from(CaseReporter)) == 1

    def broken(data: dict[str, str]) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sealing, "seal", broken)
    with pytest.raises(RuntimeError):
        named_case(photos=[_jpeg(), _jpeg()])
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert db.session.scalar(select(func.count()).select_from(CasePhoto)) == 1
    assert len(list((Path(uploads) / "complaints").iterdir())) == 1  # the failed ones removed
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "complaint_submitted")) == 1


def test_public_steps_leave_no_address_in_the_audit_log(app, regions, users) -> None:
    with app.test_request_context("/complaints/new", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        case, _ = file_case()
        handling.accept(case, users["county"])
        handling.reply(case, users["county"], "已答复")
        services.rate(case, Rating.DISSATISFIED)
        services.reopen(case, "不满意")
    entries = {e.action: e for e in db.session.execute(select(AuditEntry)).scalars()}
    for action in ("complaint_submitted", "complaint_rated", "complaint_reopened"):
        assert entries[action].address == "" and entries[action].actor_id is None
    assert entries["complaint_accepted"].address == "203.0.113.9"  # staff steps keep it


# --- published Q&A -------------------------------------------------------------------------


def test_publishing_needs_consent_a_reply_and_clean_text(app, regions, users) -> None:
    staff = users["county"]
    refused, _ = file_case()
    handling.accept(refused, staff)
    handling.reply(refused, staff, "答复")
    with pytest.raises(services.CaseError):
        handling.publish_answer(refused, staff, "标题", "问题", "答复")  # no consent
    case, _ = file_case(consent_to_publish=True)
    with pytest.raises(services.CaseError):
        handling.publish_answer(case, staff, "标题", "问题", "答复")  # not answered yet
    handling.accept(case, staff)
    handling.reply(case, staff, "资金已发放。")
    with pytest.raises(PersonalDataFound):
        handling.publish_answer(case, staff, "补助问题", "我的电话 13812345678", "资金已发放。")
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        handling.publish_answer(case, users["other"], "补助问题", "补助没发", "资金已发放。")
    handling.publish_answer(case, staff, "村里的产业补助何时发放", "补助没发", "资金已发放。")
    assert db.session.execute(services.published_query()).scalars().all() == [case]
    apply_search(app)
    hits = search(app.config["SEARCH_INDEX_DIR"], "产业补助")
    assert [h.url for h in hits.hits] == [f"/complaints/answers/{case.id}"]
    assert hits.hits[0].type_label == "投诉答复"
    handling.unpublish_answer(case, staff)
    assert db.session.execute(services.published_query()).scalars().all() == []
    apply_search(app)
    assert search(app.config["SEARCH_INDEX_DIR"], "产业补助").hits == []
