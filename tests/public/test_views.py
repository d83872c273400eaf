from tests.apps import PASSWORD
from tests.conftest import SAMPLE


def test_home_is_chinese_and_links_every_module(client, regions) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    for path in ["/news/", "/policies/", "/funds/", "/projects/", "/stats/", "/notices/",
                 "/complaints/new", "/help/", "/market/"]:
        assert f'href="{path}' in page, path
    assert SAMPLE["city_name"] in page
    assert 'action="/search"' in page


def test_built_modules_no_longer_show_the_placeholder(client) -> None:
    # /notices/ is a real page, not the "建设中" placeholder of a module not built yet.
    page = client.get("/notices/").get_data(as_text=True)
    assert "公示公告" in page and "建设中" not in page


def test_stats_navigates_the_region_tree(client, regions) -> None:
    province = client.get("/stats/").get_data(as_text=True)
    assert SAMPLE["city_name"] in province and f"/stats/{SAMPLE['city']}" in province
    county = client.get(f"/stats/{SAMPLE['county']}").get_data(as_text=True)
    assert SAMPLE["county_name"] in county and SAMPLE["city_name"] in county
    assert client.get("/stats/999999999999").status_code == 404
    assert client.get("/stats/not-a-code").status_code == 404


def test_crawler_files_and_health(client, regions) -> None:
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /admin/" in robots and "Sitemap:" in robots
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    assert "/stats/</loc>" in sitemap.get_data(as_text=True)
    assert "/admin" not in sitemap.get_data(as_text=True)
    assert client.get("/healthz").get_json() == {"status": "ok"}
    feed = client.get("/feeds/news.xml")
    assert feed.mimetype == "application/atom+xml"


def test_staff_reach_the_back_office_after_login(app, client, regions) -> None:
    from tests.factories import make_user

    make_user("county-clerk", region_code=SAMPLE["county"])
    response = client.post("/login", data={"login": "county-clerk", "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "工作台" in page and SAMPLE["county_name"] in page
