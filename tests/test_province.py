"""Another province: with PROVINCE_CODE Yunnan, the demo builds Yunnan, every page speaks of 云南
and never of 广西, and the totals are Yunnan's. The demo is built once for the module."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine import create_app
from sunshine.accounts.models import Role, User
from sunshine.content.services import sync_folder
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.funds import queries as fund_queries
from sunshine.funds.models import Fund
from sunshine.matching import queries as matching_queries
from sunshine.projects import queries as project_queries
from sunshine.projects.models import Project
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from tests.apps import PASSWORD, IsolatedClient, make_config
from tests.test_crawl import crawl

YUNNAN, ZHAOTONG, ZHAOYANG = "530000000000", "530600000000", "530602000000"
#: Routes that are no public page: they log out, or want a logged-in user.
NOT_PAGES = ("/logout", "/admin", "/account", "/help/mine", "/market/my/")


@pytest.fixture(scope="module")
def yunnan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("yunnan")
    app = create_app(make_config(tmp, f"sqlite:///{tmp / 'yunnan.sqlite'}",
                                 PROVINCE_CODE=YUNNAN))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        build_demo(households=40, seed=1, password=PASSWORD)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(yunnan: Flask) -> FlaskClient:
    return yunnan.test_client()


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_demo_builds_yunnan_with_its_real_cities_and_counties(yunnan: Flask) -> None:
    assert regions.get_region(YUNNAN).name == "云南省"
    assert regions.get_region(ZHAOTONG).name == "昭通市"
    assert ZHAOYANG in [r.code for r in regions.children_of(ZHAOTONG)]
    assert len(regions.list_regions(level=2)) == 16
    counties = regions.list_regions(level=3)
    assert len(counties) == 129
    outside = db.session.scalar(select(func.count()).select_from(Region).where(
        ~Region.code.startswith("53")))
    assert outside == 0
    staff = {u.username: u.region_code for u in db.session.execute(select(User)).scalars()}
    assert staff["admin"] == YUNNAN
    assert all(staff[f"staff-{c.code}"] == c.code for c in counties)


def test_province_city_county_and_every_public_list_speak_of_yunnan(
        yunnan: Flask, client: FlaskClient) -> None:
    for path in ("/", "/stats/", f"/stats/{ZHAOTONG}", f"/stats/{ZHAOYANG}",
                 f"/funds/?region={ZHAOTONG}", f"/projects/?region={ZHAOYANG}"):
        text = _text(client, path)
        assert "云南" in text or "昭通" in text, path
        assert "广西" not in text, path
    lists = sorted({rule.rule for rule in yunnan.url_map.iter_rules()
                    if not rule.arguments and "GET" in (rule.methods or ())
                    and not rule.rule.startswith(NOT_PAGES)})
    assert {"/funds/", "/projects/", "/notices/", "/market/", "/help/", "/news/"} <= set(lists)
    for path in [*lists, "/search?q=昭通"]:
        assert "广西" not in _text(client, path), path


class _Watching:
    """A client that notes every page mentioning 广西 on its way through a crawl."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.found: list[str] = []

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        if "广西" in response.get_data(as_text=True):
            self.found.append(path)
        return response


def test_crawl_as_admin_finds_no_error_and_no_guangxi(client: FlaskClient) -> None:
    assert client.post("/login", data={"login": "admin", "password": PASSWORD}).status_code == 302
    watching = _Watching(client)
    result = crawl(watching, limit=150)  # type: ignore[arg-type]
    assert "/admin/" in result.status
    assert not result.server_errors(), result.server_errors()[:10]
    assert not watching.found, watching.found[:10]


def test_totals_are_the_provinces(yunnan: Flask) -> None:
    published = Fund.state == "published"
    funds = db.session.scalar(select(func.count()).select_from(Fund).where(published))
    amount = db.session.scalar(select(func.sum(Fund.amount)).where(published))
    assert funds and amount
    filters = fund_queries.FundFilters()
    assert fund_queries.count_funds(filters) == funds
    summary = fund_queries.summary(filters, regions.children_of(YUNNAN))
    assert summary.total.allocated == amount
    assert sum((f.allocated for f in summary.by_region), Decimal(0)) == amount
    projects = db.session.scalar(select(func.count()).select_from(Project).where(
        Project.state == "published"))
    assert project_queries.figures(project_queries.ProjectFilters(), YUNNAN).projects == projects
    total, children = matching_queries.totals(None)
    assert total.needs_met > 0 and total.code == YUNNAN
    assert sum(c.needs_met for c in children) == total.needs_met


def test_articles_about_guangxi_are_not_loaded(yunnan: Flask) -> None:
    root = Path(yunnan.config["CONTENT_DIR"])
    report = sync_folder(root)
    assert report.errors == [] and report.created == []
    assert len(report.elsewhere) == len(list(root.glob("*/*.md"))) > 0


def test_demo_refuses_another_province_than_the_configured_one(yunnan: Flask) -> None:
    runner = yunnan.test_cli_runner()
    result = runner.invoke(args=["demo", "--province", "450000000000"])
    assert result.exit_code == 2
    assert "SUNSHINE_PROVINCE_CODE=450000000000" in result.output
    result = runner.invoke(args=["demo", "--province", "53"])
    assert result.exit_code == 1 and "已有数据" in result.output  # the right one, but not empty
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN)) == 1
