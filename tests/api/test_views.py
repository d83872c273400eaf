import pytest

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.services import builtin_rows, tree_changed
from tests.test_pagecache_visitors import served_in_front


def test_region_answers_itself_its_ancestors_and_children(client, regions) -> None:
    data = client.get(f"/api/v1/regions/{regions['county']}").get_json()
    assert data["region"] == {"code": regions["county"], "name": regions["county_name"], "level": 3,
                              "level_name": "县"}
    assert [a["code"] for a in data["ancestors"]] == [regions["province"], regions["city"]]
    assert {c["level"] for c in data["children"]} == {4}


def test_province_lists_its_cities(client, regions) -> None:
    data = client.get(f"/api/v1/regions/{regions['province']}").get_json()
    cities = [r for r in builtin_rows(regions["province"]) if codes.level_of(r.code) == 2]
    assert data["ancestors"] == [] and len(data["children"]) == len(cities)  # 14 in Guangxi


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_region_answer_is_kept_until_the_tree_changes(app, client, regions) -> None:
    url = f"/api/v1/regions/{regions['county']}"
    fresh, front = served_in_front(app, client, url)
    assert fresh.status_code == 200 and not front
    again, front = served_in_front(app, client, url)
    assert front and again.data == fresh.data
    assert client.get(url, headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304
    county = db.session.get(Region, regions["county"])
    assert county is not None
    county.name = "新名县"
    tree_changed()
    db.session.commit()
    renamed, front = served_in_front(app, client, url)
    assert not front and renamed.get_json()["region"]["name"] == "新名县"


def test_unknown_or_malformed_code_is_a_json_404(client, regions) -> None:
    city = client.get(f"/api/v1/regions/{regions['city'][:4]}").get_json()  # a short code
    assert city["region"]["name"] == regions["city_name"]
    for code in ["999999999999", "abc", "45010"]:  # no region, no code
        response = client.get(f"/api/v1/regions/{code}")
        assert response.status_code == 404
        assert "error" in response.get_json()
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.is_json


def test_openapi_describes_the_endpoints(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/regions/{code}" in spec["paths"]
