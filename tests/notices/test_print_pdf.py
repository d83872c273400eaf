"""The paper notice in Chromium: the print page makes a PDF of one A4 page per 40 entries,
every sheet carries a QR code that a real decoder reads back as the online notice, and the
story of "Done when" on a phone: scan, read, object, track, and see the ruling in the result.

Runs against its own live server (a register of 85 households), like tests/browser.
"""

from __future__ import annotations

import io
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from tests.apps import PASSWORD, make_config
from tests.browser.conftest import _buffered
from tests.conftest import SAMPLE
from tests.notices.conftest import VILLAGE, household

pytestmark = pytest.mark.browser

A4 = (595.28, 841.89)  # points
BODY = ("经农户申请、村民小组评议、村民代表大会民主评议和村委会、驻村工作队核实，拟将以下农户识别为"
        "2020年建档立卡贫困户，现予公示，接受群众监督。")


@dataclass
class Server:
    url: str
    app: Any
    notices: dict[int, int] = field(default_factory=dict)  # entries → notice id
    story: int = 0


def _setup(app: Any) -> tuple[dict[int, int], int]:
    from sunshine.accounts.models import Role
    from sunshine.clock import china_date
    from sunshine.extensions import db
    from sunshine.notices import drafting, services
    from sunshine.regions import services as regions
    from sunshine.stats import synthetic
    from tests.factories import make_user
    from tests.stats.conftest import insert_register

    regions.load_builtin_province()
    regions.generate_demo_villages([SAMPLE["county"], SAMPLE["other_county"]], 2, 2,
                                   random.Random(1))
    db.session.commit()
    staff = make_user("staff-county", Role.STAFF, SAMPLE["county"])
    rng = random.Random(3)
    used: set[str] = set()
    names = [rng.choice(synthetic.SURNAMES) + "".join(
        rng.choice(synthetic.GIVEN) for _ in range(rng.choice((1, 2, 2, 3)))) for _ in range(85)]
    insert_register([household(rng, VILLAGE, n + 1, name, None, used, cause=rng.choice(
        ["因病", "缺技术", "自身发展动力不足", "交通条件落后"])) for n, name in enumerate(names)])
    ids = [int(VILLAGE) * 10_000 + n + 1 for n in range(85)]
    today = china_date(services.periods.now())
    made = {}
    for count in (40, 41, 85, 3):
        notice = services.create_draft(staff, services.DraftFields(
            kind="identification", region_code=VILLAGE, title="东风村2020年贫困户识别公示",
            body=BODY, start_on=today, register_year=2020))
        drafting.add_households(staff, notice, ids[:count])
        services.publish(staff, notice, reindex=False)
        made[count] = notice.id
    story = made.pop(3)
    return made, story


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from werkzeug.serving import make_server

    from sunshine import create_app
    from sunshine.extensions import db

    tmp = tmp_path_factory.mktemp("notices-live")
    app = create_app(make_config(tmp, f"sqlite:///{tmp / 'live.sqlite'}",
                                 WTF_CSRF_ENABLED=True, COMPLAINT_MIN_FILL_SECONDS=0))
    with app.app_context():
        db.create_all()
        notices, story = _setup(app)
        db.session.remove()
    httpd = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="notices-live", daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_port}", app, notices, story)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  device_scale_factor=2, service_workers="block")
    try:
        yield context.new_page()
    finally:
        context.close()


def decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


@pytest.mark.parametrize(("entries", "pages"), [(40, 1), (41, 2), (85, 3)])
def test_one_a4_page_per_40_entries(server: Server, page: Any, entries: int, pages: int) -> None:
    from pypdf import PdfReader

    notice_id = server.notices[entries]
    page.goto(f"{server.url}/notices/{notice_id}/print")
    assert page.locator(".sheet").count() == pages
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    assert len(reader.pages) == pages
    for number, sheet in enumerate(reader.pages, start=1):
        box = sheet.mediabox
        assert abs(float(box.width) - A4[0]) < 1 and abs(float(box.height) - A4[1]) < 1
        text = sheet.extract_text()
        assert f"第 {number} 页，共 {pages} 页" in re.sub(r"\s+", " ", text), text[-300:]
        assert "12317" in text
    last = reader.pages[-1].extract_text()
    assert re.search(rf"(?m)^\s*{entries}\s", last), last[:2000]


def test_the_qr_code_decodes_to_the_online_notice(server: Server, page: Any) -> None:
    notice_id = server.notices[85]
    page.goto(f"{server.url}/notices/{notice_id}/print")
    page.emulate_media(media="print")
    codes = page.locator(".sheet-qr svg")
    assert codes.count() == 3  # one on every sheet
    for n in range(3):
        found = decode_qr(codes.nth(n).screenshot())
        assert found == [f"{server.url}/notices/{notice_id}"], found
    # The whole first sheet as printed (QR among text and table) decodes too.
    found = decode_qr(page.locator(".sheet").first.screenshot())
    assert found == [f"{server.url}/notices/{notice_id}"]


def test_a_villager_scans_objects_tracks_and_reads_the_ruling(
        server: Server, browser: Any, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from sunshine.notices import periods

    page.goto(f"{server.url}/notices/{server.story}/print")
    page.emulate_media(media="print")
    [url] = decode_qr(page.locator(".sheet-qr svg").first.screenshot())

    phone_context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                        is_mobile=True, has_touch=True,
                                        java_script_enabled=False, service_workers="block")
    try:
        phone = phone_context.new_page()
        phone.goto(url)
        assert "距公示期结束还有" in phone.text_content(".clock")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 361
        phone.click("text=对此户提出异议 >> nth=1")
        assert phone.url.endswith("#objection")
        phone.fill("#body", "这户在镇上开了小卖部，收入不低，请核实。")
        phone.click("button:has-text('提交异议')")
        code = phone.text_content("#tracking-code").strip()
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)

        staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        desk = staff.new_page()
        desk.goto(server.url + "/login")
        desk.fill("#login", "staff-county")
        desk.fill("#password", PASSWORD)
        with desk.expect_navigation():
            desk.click("main button[type=submit]")
        desk.goto(f"{server.url}/admin/notices/{server.story}")
        desk.check("input[value=upheld]")
        desk.fill("textarea[name$=-reason] >> nth=0",
                  "经入户核实，该户经营小卖部，收入高于标准，移出名单。")
        desk.click("button:has-text('裁定并答复异议人')")
        assert "已裁定" in desk.text_content(".flashes")

        phone.goto(server.url + "/complaints/track")
        phone.fill("#code", code.lower().replace("-", " "))
        phone.click("button:has-text('查询')")
        assert "异议裁定：成立" in phone.text_content(".history")

        real = periods.now()
        monkeypatch.setattr(periods, "now", lambda: real + timedelta(days=8))
        desk.reload()
        desk.click("button:has-text('发布结果公告')")
        assert "已发布结果公告" in desk.text_content(".flashes")
        staff.close()

        phone.goto(url)
        phone.click("text=查看结果公告")
        rulings = phone.text_content(".rulings")
        assert "成立" in rulings and "收入高于标准，移出名单" in rulings
        assert "小卖部，收入不低" not in phone.content()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    finally:
        phone_context.close()
