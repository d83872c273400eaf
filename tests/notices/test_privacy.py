"""No page, print page, feed, API answer, CSV, sitemap or search result about notices shows a
household member's full name, an ID number (or 8 of its digits in a row), an archive number,
or anything an objector wrote about themselves."""

from __future__ import annotations

import json
from urllib.parse import quote

from sunshine.notices import objections, services
from sunshine.notices.models import NoticeKind
from sunshine.search.index import rebuild
from tests.conftest import COUNTY_PREFIX
from tests.notices.conftest import VILLAGE_2, filled, published

OBJECTOR = ("覃秘密", "13977776666")
OBJECTION_TEXT = "户主欧阳小华的儿子在县城开店，身份证 450102198001010015"


def _secrets(register) -> list[str]:
    found = []
    for h in register:
        found.append(f"{h.archive:016d}")
        for name, number, *_ in h.members:
            if len(name.replace(" ", "")) >= 2:
                found.append(name)
                found.append(name.split()[0])  # "John" of "John Smith"
            found += [number[i:i + 8] for i in range(0, 11)]
    return found + list(OBJECTOR) + [OBJECTION_TEXT[:10], "450102198001010015"[:8]]


def test_no_full_name_or_id_number_comes_out(app, client, users, register, clock) -> None:
    open_notice = published(users["county"])
    exited = published(users["county"], kind=NoticeKind.EXIT, region=VILLAGE_2, year=2019)
    watch = published(users["county"], kind=NoticeKind.MONITORING, region=f"{COUNTY_PREFIX}102000",
                      year=2019)
    case, code = objections.file_objection(open_notice, OBJECTION_TEXT,
                                           open_notice.entries[1].id, named=True,
                                           name=OBJECTOR[0], phone=OBJECTOR[1])
    objections.rule(users["county"], open_notice, case.id, "upheld", "经核实收入超标。")
    objections.file_objection(exited, OBJECTION_TEXT)
    services.withdraw(users["county"], watch, "重新排查")
    clock.set(clock.day(8))
    result = objections.finalize(users["county"], open_notice, "结果公告", "公示期满。")
    rebuild(app.config["SEARCH_INDEX_DIR"])

    paths = ["/", "/notices/", "/notices/export.csv", "/feeds/notices.xml", "/sitemap.xml",
             "/api/v1/notices", "/notices/?state=announced",
             f"/feeds/notices.xml?region={VILLAGE_2}"]
    for notice in (open_notice, exited, watch, result):
        paths += [f"/notices/{notice.id}", f"/notices/{notice.id}/print",
                  f"/notices/{notice.id}/export.csv", f"/api/v1/notices/{notice.id}"]
    bodies = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        # JSON escapes Chinese as \\uXXXX: compare the text, not the escapes.
        bodies[path] = json.dumps(response.get_json(), ensure_ascii=False) \
            if response.is_json else body
    names = [m[0] for h in register for m in h.members]
    for term in names + ["欧阳", "张三", "因病"]:
        path = f"/search?q={quote(term)}"
        bodies[path] = client.get(path).get_data(as_text=True).replace(term, "").replace(
            quote(term), "")
    # The objector's own tracking page shows the ruling, not the register.
    track = client.post("/complaints/track", data={"code": code}).get_data(as_text=True)
    assert "经核实收入超标" in track
    bodies["/complaints/track"] = track.replace(OBJECTION_TEXT, "")

    secrets = _secrets(register)
    leaks = {path: [s for s in secrets if s in body] for path, body in bodies.items()}
    leaks = {path: found for path, found in leaks.items() if found}
    assert not leaks, leaks
    # And the masked names are there: the check above is not passing on empty pages.
    assert "欧**华" in bodies[f"/notices/{open_notice.id}/print"]
    assert "韦**号" in bodies[f"/api/v1/notices/{exited.id}"]


def test_a_complaint_link_names_only_a_notice_the_public_may_read(app, client, users, register,
                                                                  clock) -> None:
    """Complaint targets resolve through the notice pages' own query: counting ids through
    /complaints/new?target=notice:<id> shows no draft's title, discarded or not."""
    draft = filled(users["county"], title="内部草稿：拟识别名单")
    discarded = filled(users["county"], title="已放弃的草稿标题")
    services.withdraw(users["county"], discarded, "名单有误")
    shown = published(users["county"], title="公开的识别公示")
    for notice in (draft, discarded):
        assert client.get(f"/notices/{notice.id}").status_code == 404
        page = client.get(f"/complaints/new?target=notice:{notice.id}").get_data(as_text=True)
        assert notice.title not in page and "反映对象" not in page
        assert f'value="{notice.id}"' not in page
    page = client.get(f"/complaints/new?target=notice:{shown.id}").get_data(as_text=True)
    assert "公示公告：公开的识别公示" in page
    services.withdraw(users["county"], shown, "名单有误")  # withdrawn, it keeps its page
    page = client.get(f"/complaints/new?target=notice:{shown.id}").get_data(as_text=True)
    assert "公示公告：公开的识别公示" in page
