"""The story of "Done when", over HTTP with a frozen clock: a villager reads the notice on a
phone (the address the QR code holds), objects, follows the objection by its code, staff rule
on it, and the result announcement shows the ruling; nobody ever sees a full name."""

from __future__ import annotations

import re

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.notices.models import Notice, NoticeKind
from tests.conftest import code_from
from tests.notices.conftest import objection_data, published


def test_a_villager_objects_and_reads_the_ruling_in_the_result(app, users, register, clock,
                                                               client_for) -> None:
    notice = published(users["county"])
    villager = app.test_client()

    # The paper notice's QR code points at the online notice.
    paper = villager.get(f"/notices/{notice.id}/print").get_data(as_text=True)
    url = re.search(r"网上查看：(\S+?)</p>", paper).group(1)
    assert url == f"http://localhost/notices/{notice.id}"
    clock.set(clock.day(4, hour=20))
    online = villager.get(url).get_data(as_text=True)
    assert "还有 <strong class=\"days\">4</strong> 天" in online
    target = notice.entries[2]  # 金**甲
    assert target.masked_name == "金**甲" and "金**甲" in online and "金丝雀甲" not in online

    answer = villager.post(f"/notices/{notice.id}/objection", data=objection_data(
        app, entry=str(target.id), body="这户在镇上开了一家小卖部，收入不低。"))
    assert answer.status_code == 200
    code = code_from(answer.get_data(as_text=True))

    tracked = villager.post("/complaints/track", data={"code": code}).get_data(as_text=True)
    assert "已提交" in tracked and "异议裁定" not in tracked

    staff = client_for("staff-town")  # the town answers for its villages
    case_id = int(re.search(r"/admin/complaints/(\d+)",
                            staff.get(f"/admin/notices/{notice.id}").get_data(as_text=True))
                  .group(1))
    ruled = staff.post(f"/admin/notices/{notice.id}/objections/{case_id}/rule", data={
        f"rule{case_id}-ruling": "upheld",
        f"rule{case_id}-reason": "经入户核实，该户经营小卖部，人均收入高于标准，移出名单。"})
    assert ruled.status_code == 302

    tracked = villager.post("/complaints/track", data={"code": code}).get_data(as_text=True)
    assert "异议裁定：成立。理由：经入户核实" in tracked and "已办结" in tracked

    clock.set(clock.day(8, hour=9))
    assert staff.post(f"/admin/notices/{notice.id}/finalize", data={
        "finalize-title": "2020年新识别贫困户结果公告",
        "finalize-body": "公示期满，现将结果公告如下。"}).status_code == 302
    result = db.session.scalars(select(Notice).where(Notice.kind == NoticeKind.RESULT)).one()

    original = villager.get(url).get_data(as_text=True)
    assert "结果已公告" in original and f"/notices/{result.id}" in original
    assert 'action="/notices/1/objection"' not in original
    page = villager.get(f"/notices/{result.id}").get_data(as_text=True)
    assert "异议处理情况" in page and "金**甲（" in page and "<strong>成立</strong>" in page
    assert "人均收入高于标准，移出名单" in page
    # The household left the list; the objector and their words are not shown.
    listed = re.findall(r"<td>([^<]*\*[^<]*)</td>", page.split("异议处理情况")[0])
    assert "金**甲" not in listed and len(listed) == len(notice.entries) - 1
    assert "小卖部，收入不低" not in page and "金丝雀甲" not in page
