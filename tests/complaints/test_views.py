"""The public pages: the form (kind first, no scripts needed, anti-abuse), tracking, rating and
reopening, statistics with CSV and JSON, and the published Q&A."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine.complaints import handling
from sunshine.complaints.models import Case, Moderation, Status
from sunshine.complaints.views import FORM_SALT
from sunshine.extensions import db
from sunshine.tracked import tracking
from tests.complaints.conftest import file_case, form_data
from tests.conftest import OTHER_PREFIX, SAMPLE, code_from, started_token
from tests.funds.conftest import make_fund, make_project


def post_form(client: FlaskClient, app: Flask, **overrides: Any) -> Any:
    return client.post("/complaints/new", data=form_data(app, **overrides))


def only_case() -> Case:
    cases = db.session.execute(select(Case)).scalars().all()
    assert len(cases) == 1
    return cases[0]


def test_the_form_asks_the_kind_first_and_needs_no_script(client, regions) -> None:
    response = client.get("/complaints/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index('name="kind"') < page.index('name="category"') < page.index('name="subject"')
    for label in ("投诉", "举报", "意见建议", "满意度评价"):
        assert label in page
    assert "异议" not in page  # objections are filed from a notice
    assert "<script" not in page
    assert 'enctype="multipart/form-data"' in page and 'name="website"' in page
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
    assert started and started.group(1)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_region_is_chosen_step_by_step_without_scripts(app, client, regions) -> None:
    first = client.post("/complaints/new", data={"city": SAMPLE["city"], "action": "refine"})
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and SAMPLE["county_name"] in page and "需要修改" not in page
    second = client.post("/complaints/new", data={
        "city": SAMPLE["city"], "county": SAMPLE["county"], "action": "refine",
        "subject": "保留我写的字"})
    page = second.get_data(as_text=True)
    assert f'value="{SAMPLE["town"]}"' in page and "保留我写的字" in page
    # A county of another city is dropped when the city changes.
    third = client.post("/complaints/new", data={
        "city": SAMPLE["far_city"], "county": SAMPLE["county"], "action": "refine"})
    assert f'selected value="{SAMPLE["county"]}"' not in third.get_data(as_text=True)


def test_links_from_other_pages_fill_the_region_and_the_target(client, regions) -> None:
    project = make_project()
    page = client.get(f"/complaints/new?region={SAMPLE['village']}&target=project:{project.id}"
                      "&kind=report").get_data(as_text=True)
    assert f'selected value="{SAMPLE["village"]}"' in page
    assert f"扶贫项目：{project.name}" in page
    assert f'name="target_id" type="hidden" value="{project.id}"' in page
    junk = client.get("/complaints/new?region=<b>&target=x:<i>&kind=1")
    assert junk.status_code == 200 and "<i>" not in junk.get_data(as_text=True)


def test_a_target_resolves_only_when_its_page_is_public(app, client, regions) -> None:
    """Every kind of complaint target goes through its feature's public query: a draft's name
    shows on no form and no case, whether it comes in a link or a forged form."""
    drafts = {"project": make_project(publish=False, name="未公开的草稿项目"),
              "fund": make_fund(publish=False, name="未公开的草稿资金")}
    public = {"project": make_project(name="已公开项目"), "fund": make_fund(name="已公开资金")}
    for kind, draft in drafts.items():
        page = client.get(f"/complaints/new?target={kind}:{draft.id}").get_data(as_text=True)
        assert draft.name not in page and "反映对象" not in page, kind
        forged = post_form(client, app, target_type=kind, target_id=str(draft.id))
        assert forged.status_code == 400 and "反映对象不正确" in forged.get_data(as_text=True)
        assert draft.name not in forged.get_data(as_text=True)
        for junk in ("0", "99999999", "1" * 40, "-1"):
            page = client.get(f"/complaints/new?target={kind}:{junk}")
            assert page.status_code == 200 and "反映对象" not in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    for kind, item in public.items():
        assert post_form(client, app, target_type=kind, target_id=str(item.id)).status_code == 200
        assert db.session.scalar(select(Case.target_label).where(
            Case.target_type == kind)).endswith(item.name)


def test_an_anonymous_report_gets_a_code_and_follows_the_case(app, client, regions,
                                                              users) -> None:
    response = post_form(client, app)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已收到您的举报" in page
    code = code_from(page)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert "请马上抄下或截图保存查询码" in page
    case = only_case()
    assert case.moderation is Moderation.NONE and case.handling_region_code == SAMPLE["town"]
    assert not case.named
    tracked = client.post("/complaints/track", data={"code": code.lower().replace("-", "")})
    assert "已提交" in tracked.get_data(as_text=True)
    handling.accept(case, users["county"], "已受理，正在安排")
    handling.add_note(case, users["county"], "内部备注：不要告诉群众")
    handling.reply(case, users["county"], "经核查，资金已发放到户。")
    page = client.post("/complaints/track", data={"code": code}).get_data(as_text=True)
    assert "经核查，资金已发放到户。" in page and "已受理，正在安排" in page
    assert "内部备注" not in page and "产业补助没有发到户" not in page  # history and replies only
    assert 'name="rate-rating"' in page
    rated = client.post("/complaints/track/rate", data={"rate-code": code,
                                                        "rate-rating": "satisfied"})
    assert rated.status_code == 200 and "感谢您的评价" in rated.get_data(as_text=True)
    db.session.expire_all()
    assert only_case().status is Status.CLOSED


def test_a_dissatisfied_reporter_reopens_once(app, client, regions, users) -> None:
    case, code = file_case()
    handling.accept(case, users["county"])
    handling.reply(case, users["county"], "已答复")
    client.post("/complaints/track/rate", data={"rate-code": code, "rate-rating": "dissatisfied"})
    page = client.post("/complaints/track", data={"code": code}).get_data(as_text=True)
    assert "申请重新办理" in page
    empty = client.post("/complaints/track/reopen", data={"reopen-code": code, "reopen-reason": ""})
    assert empty.status_code == 400 and "请说明哪里不满意" in empty.get_data(as_text=True)
    done = client.post("/complaints/track/reopen", data={"reopen-code": code,
                                                         "reopen-reason": "没说什么时候发"})
    assert done.status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is Status.IN_PROGRESS
    again = client.post("/complaints/track/reopen", data={"reopen-code": code,
                                                          "reopen-reason": "再来一次"})
    assert again.status_code == 400 and "只能一次" in again.get_data(as_text=True)


def _normalised(page: str, typed: str) -> str:
    return page.replace(typed, "CODE")


def test_unknown_and_wrong_codes_get_the_same_answer(client, regions) -> None:
    _, code = file_case()
    raw = code.replace("-", "")
    wrong = ("2" if raw[0] != "2" else "3") + raw[1:]
    unknown = tracking.new_code()
    answers = []
    for typed in (wrong, unknown, "NOT-A-CODE", "0" * 16):
        response = client.post("/complaints/track", data={"code": typed})
        answers.append((response.status_code, _normalised(response.get_data(as_text=True), typed)))
    assert len(set(answers)) == 1
    assert answers[0][0] == 200 and "没有找到这个查询码" in answers[0][1]
    for path, field in (("/complaints/track/rate", "rate-code"),
                        ("/complaints/track/reopen", "reopen-code")):
        response = client.post(path, data={field: wrong})
        assert response.status_code == 200 and "没有找到这个查询码" in response.get_data(True)


def test_honeypot_and_hasty_forms_wait_for_moderation_with_the_same_answer(app, client,
                                                                           regions) -> None:
    honest = post_form(client, app).get_data(as_text=True)
    bot = post_form(client, app, website="http://spam.example").get_data(as_text=True)
    quick = started_token(app, FORM_SALT, seconds_ago=1)
    hasty = post_form(client, app, started=quick).get_data(as_text=True)
    forged = post_form(client, app, started="forged-token").get_data(as_text=True)
    missing = post_form(client, app, started=None).get_data(as_text=True)
    for page in (honest, bot, hasty, forged, missing):
        assert "已收到您的举报" in page and code_from(page)
    cases = db.session.execute(select(Case).order_by(Case.id)).scalars().all()
    assert [c.moderation for c in cases] == [Moderation.NONE] + [Moderation.HELD] * 4
    assert [c.moderation_reason for c in cases[1:]] == [
        "填写了隐藏的防机器人字段", "填写时间过短", "缺少或伪造了表单计时", "缺少或伪造了表单计时"]
    # The reporter of a held case sees an ordinary submitted case.
    page = client.post("/complaints/track", data={"code": code_from(bot)}).get_data(True)
    assert "已提交" in page and "垃圾" not in page and "审核" not in page


def test_missing_or_wrong_fields_answer_400_in_chinese(app, client, regions) -> None:
    empty = client.post("/complaints/new", data={"action": "submit"})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 400
    for message in ("请选择要办理的事项", "请选择问题类别", "请写明具体情况"):
        assert message in page
    no_region = post_form(client, app, city=None, county=None, town=None, village=None)
    assert no_region.status_code == 400 and "至少选到县" in no_region.get_data(as_text=True)
    named = post_form(client, app, identity="named", name="王秀英", phone="123")
    assert named.status_code == 400 and "手机号" in named.get_data(as_text=True)
    bad_kind = post_form(client, app, kind="objection")
    assert bad_kind.status_code == 400 and "不是有效的选择" in bad_kind.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_named_report_keeps_the_name_out_of_the_case(app, client, regions) -> None:
    page = post_form(client, app, identity="named", name="王秀英", phone="13912345678",
                     consent="y", about_local_cadres="y").get_data(as_text=True)
    assert "只有纪检督查人员可以查看" in page and "王秀英" not in page
    case = only_case()
    assert case.named and case.consent_to_publish and case.handling_region_code == SAMPLE["county"]


def test_statistics_page_csv_and_json(app, client, regions, users) -> None:
    for n in range(30):
        case, _ = file_case()
        if n < 12:
            handling.accept(case, users["county"])
            handling.reply(case, users["county"], "已答复")
        file_case(region=f"{OTHER_PREFIX}101201")
    page = client.get("/complaints/stats").get_data(as_text=True)
    # The province's 60 is shown; its first city's (all of them) hidden, or 60 - 60 = 0 would
    # give every other city away.
    assert "办理情况" in page and "&lt;10" in page and ">60<" in page and ">×<" in page
    assert "产业补助没有发到户" not in page  # no case text at all
    county = client.get(f"/complaints/stats?region={SAMPLE['county']}")
    assert county.status_code == 200
    assert client.get("/complaints/stats?region=999999999999").status_code == 404
    assert client.get("/complaints/stats?year=abc&region=").status_code == 200
    response = client.get("/complaints/stats/export.csv")
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["地区代码", "地区", "时期", "指标", "类型", "问题类别", "数值"]
    assert any(r[-1] == "<10" for r in rows[1:]) and any(r[-1] == "60" for r in rows[1:])
    data = client.get("/api/v1/complaints/stats?per_page=5&page=2").get_json()
    assert set(data) >= {"items", "page", "per_page", "total"}
    assert data["page"] == 2 and data["per_page"] == 5 and len(data["items"]) == 5
    everything = client.get("/api/v1/complaints/stats?per_page=500").get_json()["items"]
    suppressed = [i for i in everything if i["suppressed"]]
    assert suppressed and all(i["value"] is None for i in suppressed)
    assert any(i["value"] == 60 for i in everything)
    assert "/api/v1/complaints/stats" in client.get("/api/v1/openapi.json").get_json()["paths"]
    assert client.get("/api/v1/complaints/stats?region=999999999999").get_json() == {
        "error": "您要找的页面不存在或已被撤下。"}


def test_published_answers_are_listed_with_the_county_only(app, client, regions, users) -> None:
    case, _ = file_case(consent_to_publish=True)
    handling.accept(case, users["county"])
    handling.reply(case, users["county"], "资金已于本月发放。")
    hidden, _ = file_case(consent_to_publish=True)
    assert "还没有公开" in client.get("/complaints/answers/").get_data(as_text=True)
    handling.publish_answer(case, users["county"], "产业补助什么时候发", "补助一直没有发。",
                            "资金已于本月发放。")
    listing = client.get("/complaints/answers/").get_data(as_text=True)
    assert "产业补助什么时候发" in listing and SAMPLE["county_name"] in listing
    detail = client.get(f"/complaints/answers/{case.id}").get_data(as_text=True)
    assert "补助一直没有发。" in detail and "资金已于本月发放。" in detail
    village = db.session.get(Case, case.id).region.name
    assert village not in detail and village not in listing
    # Nor its town: not as the place, not as the unit that answered, not through the filter.
    town = db.session.get(Case, case.id).handling_region.name
    assert case.handling_region_code == SAMPLE["town"]
    assert town not in detail and town not in listing
    for code in (SAMPLE["town"], SAMPLE["village"]):
        narrowed = client.get(f"/complaints/answers/?region={code}").get_data(as_text=True)
        assert town not in narrowed and village not in narrowed
        assert f"群众关心的问题 · {SAMPLE['county_name']}" in narrowed
    county_case, _ = file_case(region=SAMPLE["county"], consent_to_publish=True)
    handling.accept(county_case, users["county"])
    handling.reply(county_case, users["county"], "已核实。")
    handling.publish_answer(county_case, users["county"], "县里的问题", "问。", "已核实。")
    answered = client.get(f"/complaints/answers/{county_case.id}").get_data(as_text=True)
    assert f"答复（{SAMPLE['county_name']}）" in answered
    assert client.get(f"/complaints/answers/{hidden.id}").status_code == 404
    assert client.get(f"/complaints/answers/?region={SAMPLE['far_city']}").get_data(True).count(
        "产业补助什么时候发") == 0
    assert f"/complaints/answers/{case.id}" in client.get("/sitemap.xml").get_data(True)


def test_the_home_page_and_footer_link_the_form(client, regions) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/complaints/new"' in page and "投诉举报" in page
    assert "建设中" not in client.get("/complaints/new").get_data(as_text=True)


class TestThrottling:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"RATELIMIT_ENABLED": True, "COMPLAINT_TRACK_LIMIT": "5 per minute",
                "COMPLAINT_SUBMIT_LIMIT": "2 per minute"}

    def test_code_lookups_are_throttled(self, client, regions) -> None:
        codes = [tracking.new_code() for _ in range(6)]
        statuses = [client.post("/complaints/track", data={"code": c}).status_code
                    for c in codes]
        assert statuses == [200] * 5 + [429]
        blocked = client.post("/complaints/track/rate", data={"rate-code": codes[0]})
        assert blocked.status_code == 429 and "操作太频繁" in blocked.get_data(as_text=True)
        assert client.get("/complaints/track").status_code == 200  # reading the form is free

    def test_submissions_are_throttled_per_address(self, app, regions) -> None:
        first = app.test_client()
        statuses = [first.post("/complaints/new", data=form_data(app)).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        other = app.test_client()
        response = other.post("/complaints/new", data=form_data(app),
                              environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert response.status_code == 200
