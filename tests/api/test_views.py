def test_region_answers_itself_its_ancestors_and_children(client, regions) -> None:
    data = client.get("/api/v1/regions/450102000000").get_json()
    assert data["region"] == {"code": "450102000000", "name": "兴宁区", "level": 3,
                              "level_name": "县"}
    assert [a["code"] for a in data["ancestors"]] == ["450000000000", "450100000000"]
    assert {c["level"] for c in data["children"]} == {4}


def test_province_lists_its_fourteen_cities(client, regions) -> None:
    data = client.get("/api/v1/regions/450000000000").get_json()
    assert data["ancestors"] == [] and len(data["children"]) == 14


def test_unknown_or_malformed_code_is_a_json_404(client, regions) -> None:
    assert client.get("/api/v1/regions/4501").get_json()["region"]["name"] == "南宁市"
    for code in ["999999999999", "abc", "45010"]:
        response = client.get(f"/api/v1/regions/{code}")
        assert response.status_code == 404
        assert "error" in response.get_json()
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.is_json


def test_openapi_describes_the_endpoints(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/regions/{code}" in spec["paths"]
