"""Public pages, QR code, map, CSV and API of 项目公开."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.conftest import OTHER_PREFIX, SAMPLE
from tests.funds.conftest import COUNTY, Setup, make_project


def test_projects_page_has_filters_figures_a_map_and_an_empty_state(client, funded: Setup) -> None:
    page = client.get("/projects/").get_data(as_text=True)
    assert f"项目公开：{SAMPLE['province_name']}" in page and funded.project.name in page
    assert '<svg class="map"' in page and f"{SAMPLE['county_name']}：1 个" in page
    assert "受益户数" in page and "40 户" in page
    county = client.get(f"/projects/?region={COUNTY}&category=基础设施&stage=申报").get_data(True)
    assert funded.project.name in county and SAMPLE["county_name"] in county
    assert "没有符合条件的项目" in client.get("/projects/?stage=验收").get_data(as_text=True)
    for junk in ("?stage=<x>", "?category=1&year=abc", "?after=x_y", "?region=1"):
        assert client.get("/projects/" + junk).status_code == 200, junk


def test_project_page_shows_timeline_budget_sources_and_a_qr_code(client, funded: Setup) -> None:
    from sunshine.projects import services

    services.add_update(None, funded.project, date(2020, 5, 2), "县里批复立项", "审批")
    page = client.get(f"/projects/{funded.project.id}").get_data(as_text=True)
    assert 'aria-current="step">审批' in page and "县里批复立项" in page
    assert "300,000.00 元" in page and funded.fund.name in page
    assert '<svg viewBox="0 0' in page and 'class="qr"' in page and "二维码" in page
    assert "第 2 版 · 进度更新" in page
    qr = client.get(f"/projects/{funded.project.id}/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    assert client.get("/projects/99999").status_code == 404
    draft = make_project(publish=False, name="草稿项目")
    assert client.get(f"/projects/{draft.id}").status_code == 404
    assert client.get(f"/projects/{draft.id}/qr.svg").status_code == 404


def test_projects_csv_and_api(client, funded: Setup) -> None:
    make_project(name="=cmd|' /C calc'!A0", region_code=f"{OTHER_PREFIX}101201")
    response = client.get(f"/projects/export.csv?region={COUNTY}")
    assert response.is_streamed and response.get_data().startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == funded.project.name and rows[1][7] == "300000.00"
    everything = client.get("/projects/export.csv").get_data().decode("utf-8-sig")
    assert "'=cmd" in everything
    data = client.get(f"/api/v1/projects?region={COUNTY}").get_json()
    assert data["total"] == 1 and data["items"][0]["budget"] == "300000.00"
    assert data["items"][0]["approved_on"] == "2020-04-01"
    detail = client.get(f"/api/v1/projects/{funded.project.id}").get_json()
    assert detail["sources"][0]["fund_id"] == funded.fund.id
    assert detail["beneficiaries"] == {"households": 40, "people": 160, "poor_households": 12}


def test_projects_export_follows_projects_and_money_with_the_page_cache_off(
        app, client, funded: Setup) -> None:
    from decimal import Decimal

    from sunshine.funds import services as funds

    app.config["PAGE_CACHE"] = False
    try:
        def rows() -> list[list[str]]:
            body = client.get(f"/projects/export.csv?region={COUNTY}").get_data()
            return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]

        assert [(r[1], r[8]) for r in rows()] == [(funded.project.name, "300000.00")]
        assert rows() == rows()
        make_project(name="新立项的项目", year=2021)
        assert [r[1] for r in rows()] == ["新立项的项目", funded.project.name]
        # Money written by the funds feature changes a project's 已到位资金.
        funds.add_line(None, funded.fund, None, funded.project.id, Decimal("50000.00"), "追加")
        assert rows()[1][8] == "350000.00"
    finally:
        app.config["PAGE_CACHE"] = True


def test_progress_photos_are_cleaned_chained_and_served(app, client, funded: Setup,
                                                        staff) -> None:
    import hashlib
    import io

    from PIL import Image

    from sunshine.records import ledger


    picture = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010E] = "secret-gps-place"
    raw = io.BytesIO()
    picture.save(raw, "JPEG", exif=exif.tobytes())
    assert b"secret-gps-place" in raw.getvalue()
    staff_client = app.test_client()
    staff_client.post("/login", data={"login": "staff-xn", "password": "correct-horse-battery-9"})
    url = f"/admin/projects/{funded.project.id}"
    bad = staff_client.post(url, data={"on": "2020-05-02", "stage": "申报", "text": "坏文件",
                                       "photo": (io.BytesIO(b"not an image"), "x.jpg")})
    assert bad.status_code == 400 and "无法识别" in bad.get_data(as_text=True)
    good = staff_client.post(url, data={"on": "2020-05-02", "stage": "申报", "text": "现场开工",
                                        "photo": (io.BytesIO(raw.getvalue()), "site.jpg")})
    assert good.status_code == 302
    page = client.get(f"/projects/{funded.project.id}").get_data(as_text=True)
    name = page.split("/projects/photos/")[1].split('"')[0]
    with client.get(f"/projects/photos/{name}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        body = served.get_data()
    assert b"secret-gps-place" not in body
    assert name == hashlib.sha256(body).hexdigest() + ".jpg"
    assert f'"photo":"{name}"' in ledger.latest_entries(1)[0].payload
    assert client.get("/projects/photos/" + "0" * 64 + ".jpg").status_code == 404
    assert client.get("/projects/photos/..%2Fsecret.jpg").status_code == 404



def test_project_page_follows_progress_and_money_with_the_page_cache_off(
        app, client, funded: Setup) -> None:
    """The page's data is remembered per worker: a progress note, a new fund line and a
    withdrawal show at the next request."""
    from decimal import Decimal

    from sunshine.funds import services as funds
    from sunshine.projects import services

    app.config["PAGE_CACHE"] = False
    try:
        url = f"/projects/{funded.project.id}"
        assert "县里批复立项" not in client.get(url).get_data(as_text=True)
        services.add_update(None, funded.project, date(2020, 5, 2), "县里批复立项", "审批")
        assert "县里批复立项" in client.get(url).get_data(as_text=True)
        api = f"/api/v1/projects/{funded.project.id}"
        assert client.get(api).get_json()["updates"][0]["text"] == "县里批复立项"
        funds.add_line(None, funded.fund, None, funded.project.id, Decimal("50000.00"), "追加")
        assert "350,000.00 元" in client.get(url).get_data(as_text=True)
        assert len(client.get(api).get_json()["sources"]) == 2
        other = make_project(name="另一个项目")
        assert "公开信息已撤回" not in client.get(f"/projects/{other.id}").get_data(True)
        services.withdraw_project(None, other, "信息有误")
        assert "公开信息已撤回：信息有误" in client.get(f"/projects/{other.id}").get_data(True)
    finally:
        app.config["PAGE_CACHE"] = True
