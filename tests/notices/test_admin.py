"""The back office over HTTP: drafting from the register, from a project, publishing, ruling,
finalizing, withdrawing; region checks (403 and an audit entry) on every object."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.notices import objections
from sunshine.notices.models import Notice, NoticeKind
from sunshine.projects.models import Project
from sunshine.records.models import State
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE
from tests.factories import make_user
from tests.notices.conftest import START, TOWN_VILLAGE, VILLAGE, draft, published


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_staff_draft_fill_and_publish_a_notice(users, register, clock, client_for) -> None:
    staff = client_for("staff-county")
    form = _text(staff.get("/admin/notices/new"))
    assert f'value="{SAMPLE["county"]}"' in form and "2026-03-02" in form
    response = staff.post("/admin/notices/new", data={
        "kind": "identification", "region_code": VILLAGE, "register_year": "2020",
        "title": "2020年新识别贫困户公示", "body": "经民主评议，现予公示。",
        "start_on": "2026-03-02", "end_on": ""})
    assert response.status_code == 302, _text(response)[:3000]
    notice = db.session.scalars(select(Notice)).one()
    picker = _text(staff.get(f"/admin/notices/{notice.id}/households"))
    assert "欧**华" in picker and "欧阳小华" not in picker and "7 户" in picker
    ids = [str(h.archive) for h in register[:7]]
    assert staff.post(f"/admin/notices/{notice.id}/households",
                      data={"households": ids}).status_code == 302
    refused = staff.post(f"/admin/notices/{notice.id}/households",
                         data={"households": [str(register[-1].archive)]})
    assert refused.status_code == 400 and "不在公示地区内" in _text(refused)
    assert staff.post(f"/admin/notices/{notice.id}/publish").status_code == 302
    db.session.expire_all()
    assert notice.published_at is not None and len(notice.entries) == 7
    manage = _text(staff.get(f"/admin/notices/{notice.id}"))
    assert "公示中" in manage and "没有收到异议" in manage and "期满后才能发布结果公告" in manage
    index = _text(staff.get("/admin/notices/"))
    assert "2020年新识别贫困户公示" in index


def test_bad_drafts_answer_400_with_the_reason(users, register, clock, client_for) -> None:
    staff = client_for("staff-county")
    base = {"kind": "identification", "region_code": VILLAGE, "register_year": "2020",
            "title": "公示", "body": "", "start_on": "2026-03-02"}
    for change, message in [({"start_on": "2026-03-01"}, "不能早于今天"),
                            ({"end_on": "2026-03-05"}, "至少公示 7 天"),
                            ({"kind": "result"}, "公示类型"),
                            ({"region_code": SAMPLE["city"]}, "县级或以下"),
                            ({"start_on": "明天"}, "公示开始日期")]:
        response = staff.post("/admin/notices/new", data={**base, **change})
        assert response.status_code == 400, change
        assert message in _text(response), (change, _text(response)[:3000])
    assert db.session.scalars(select(Notice)).first() is None


def test_drafting_from_a_project(users, regions, clock, client_for) -> None:
    project = Project(name="村道硬化", category="基础设施", region_code=TOWN_VILLAGE, year=2026,
                      budget=Decimal("120000"), implementing_unit="镇人民政府",
                      state=State.PUBLISHED.value)
    db.session.add(project)
    db.session.commit()
    staff = client_for("staff-county")
    manage = _text(staff.get(f"/admin/projects/{project.id}"))
    assert f'href="/admin/notices/new?project={project.id}"' in manage  # 起草项目公示
    form = _text(staff.get(f"/admin/notices/new?project={project.id}"))
    assert "关于村道硬化的项目公示" in form and f'value="project:{project.id}"' in form
    response = staff.post("/admin/notices/new", data={
        "kind": "project", "region_code": TOWN_VILLAGE, "title": "关于村道硬化的项目公示",
        "body": "现予公示。", "start_on": "2026-03-02", "source": f"project:{project.id}"})
    assert response.status_code == 302
    notice = db.session.scalars(select(Notice)).one()
    assert notice.kind is NoticeKind.PROJECT and [x.record_id for x in notice.links] == [project.id]
    assert notice.end_on.isoformat() == "2026-03-11"
    # The draft offers the region's other published projects to link.
    bridge = Project(name="便民桥", category="基础设施", region_code=TOWN_VILLAGE, year=2026,
                     budget=Decimal("80000"), implementing_unit="镇人民政府",
                     state=State.PUBLISHED.value)
    db.session.add(bridge)
    db.session.commit()
    draft = staff.get(f"/admin/notices/{notice.id}")
    assert draft.status_code == 200 and "便民桥" in _text(draft)
    # Another county's staff cannot start from this project.
    other = _text(client_for("staff-other").get(f"/admin/notices/new?project={project.id}"))
    assert "村道硬化" not in other


def test_ruling_and_finalizing_through_the_back_office(app, users, register, clock,
                                                       client_for) -> None:
    notice = published(users["county"])
    case, _ = objections.file_objection(notice, "这户有车有房", notice.entries[0].id)
    staff = client_for("staff-county")
    manage = _text(staff.get(f"/admin/notices/{notice.id}"))
    assert "这户有车有房" in manage and "裁定并答复异议人" in manage
    bad = staff.post(f"/admin/notices/{notice.id}/objections/{case.id}/rule",
                     data={f"rule{case.id}-ruling": "upheld", f"rule{case.id}-reason": ""})
    assert bad.status_code == 400 and "请写明裁定理由" in _text(bad)
    good = staff.post(f"/admin/notices/{notice.id}/objections/{case.id}/rule", data={
        f"rule{case.id}-ruling": "upheld", f"rule{case.id}-reason": "收入超标，移出名单。"})
    assert good.status_code == 302
    early = staff.post(f"/admin/notices/{notice.id}/finalize", data={
        "finalize-title": "结果公告", "finalize-body": ""})
    assert early.status_code == 400 and "期满后才能发布结果公告" in _text(early)
    clock.set(clock.day(8))
    done = staff.post(f"/admin/notices/{notice.id}/finalize", data={
        "finalize-title": "2020年识别结果公告", "finalize-body": "公示期满。"})
    assert done.status_code == 302
    result = db.session.scalars(select(Notice).where(Notice.kind == NoticeKind.RESULT)).one()
    page = _text(app.test_client().get(f"/notices/{result.id}"))
    assert "收入超标，移出名单。" in page and "成立" in page and "这户有车有房" not in page


def test_village_staff_see_that_an_objection_came_but_not_its_text(users, register, clock,
                                                                    client_for) -> None:
    """An objection to a village's notice is handled by its town: the village's own cadres,
    who may be the ones objected to, see a count and a state on the notice, never the text."""
    make_user("staff-village", Role.STAFF, VILLAGE)
    notice = published(users["county"])
    case, _ = objections.file_objection(notice, "村干部优亲厚友，把亲戚报进名单", None)
    village = _text(client_for("staff-village").get(f"/admin/notices/{notice.id}"))
    assert "异议（1 条）" in village and case.status.label in village
    assert "优亲厚友" not in village and "裁定并答复异议人" not in village
    assert client_for("staff-village").get(f"/admin/complaints/{case.id}").status_code == 403
    for handler in ("staff-town", "staff-county"):
        page = _text(client_for(handler).get(f"/admin/notices/{notice.id}"))
        assert "优亲厚友" in page and "裁定并答复异议人" in page, handler


def test_withdrawing_through_the_back_office(app, users, register, clock, client_for) -> None:
    notice = published(users["county"])
    staff = client_for("staff-county")
    assert staff.post(f"/admin/notices/{notice.id}/withdraw",
                      data={"withdraw-reason": ""}).status_code == 400
    assert staff.post(f"/admin/notices/{notice.id}/withdraw",
                      data={"withdraw-reason": "名单有误"}).status_code == 302
    page = _text(app.test_client().get(f"/notices/{notice.id}"))
    assert "已撤回" in page and "名单有误" in page and "不再受理异议" in page


def test_another_regions_notice_is_403_and_logged(users, register, clock, client_for) -> None:
    notice = published(users["county"])
    other = client_for("staff-other")
    for method, path in [("get", f"/admin/notices/{notice.id}"),
                         ("post", f"/admin/notices/{notice.id}/publish"),
                         ("post", f"/admin/notices/{notice.id}/withdraw"),
                         ("post", f"/admin/notices/{notice.id}/finalize"),
                         ("get", f"/admin/notices/{notice.id}/households")]:
        assert getattr(other, method)(path).status_code == 403, path
    denied = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "permission_denied")).all()
    assert len(denied) == 5 and {d.region_code for d in denied} == {VILLAGE}
    assert notice.title not in _text(other.get("/admin/notices/"))
    assert client_for("editor").get("/admin/notices/").status_code == 403
    mine = draft(users["other"], region=f"{OTHER_PREFIX}101201", start=START, title="外县草稿")
    assert "外县草稿" not in _text(client_for("staff-county").get("/admin/notices/?drafts=1"))
    assert mine.id


def test_the_dashboard_counts_drafts_and_notices_waiting_for_a_result(users, register, clock,
                                                                     client_for) -> None:
    draft(users["county"])
    published(users["county"], region=f"{COUNTY_PREFIX}101202", kind=NoticeKind.EXIT, year=2019)
    clock.set(clock.day(9))
    page = _text(client_for("staff-county").get("/admin/"))
    tiles = dict((label, int(n)) for n, label in re.findall(
        r'tile-count">(\d+)</span>\s*<a href="/admin/notices/[^"]*">([^<]+)</a>', page))
    assert tiles == {"公示草稿": 1, "公示期满待发结果公告": 1}
    assert re.search(r'tile-count">0</span>\s*<a href="/admin/notices/',
                     _text(client_for("staff-other").get("/admin/")))
