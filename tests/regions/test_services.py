"""Loading and importing regions. The tests name the province they load (Guangxi, whose real
towns and villages are in the shared data), so they pass whatever the run's province."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.regions import codes, services
from sunshine.regions.models import Region
from sunshine.regions.province import SHORT_NAMES
from tests.conftest import shared_data

pytestmark = pytest.mark.postgres


def test_builtin_province_has_the_real_cities_and_counties(app) -> None:
    services.load_builtin_province("450000000000")
    db.session.commit()
    assert len(services.list_regions(level=2)) == 14
    assert len(services.list_regions(level=3)) == 111
    nanning = services.get_region("450100000000")
    assert nanning.name == "南宁市"
    assert nanning.latitude is not None and 22 < nanning.latitude < 24
    assert services.load_builtin_province("450000000000") == 0  # idempotent


def test_the_configured_province_is_loaded_by_default(app) -> None:
    app.config["PROVINCE_CODE"] = "530000000000"
    services.load_builtin_province()
    db.session.commit()
    assert services.get_region("530000000000").name == "云南省"
    zhaotong = services.get_region("530600000000")
    assert zhaotong.name == "昭通市" and 27 < (zhaotong.latitude or 0) < 28.5
    assert len(services.list_regions(level=2)) == 16
    assert len(services.list_regions(level=3)) == 129
    assert services.list_regions(within="450000000000") == []


def _official(province: str) -> dict[str, str]:
    """The 2021 statistical division codes of the province's cities and counties."""
    found = {}
    for name in ("cities.csv", "counties.csv"):
        with shared_data("divisions", name).open(encoding="utf-8") as handle:
            found.update({row["code"].ljust(12, "0"): row["name"] for row in csv.DictReader(handle)
                          if row["province_code"] == province[:2]})
    return found


@pytest.mark.parametrize("province", ["450000000000", "530000000000"])
def test_builtin_cities_and_counties_are_the_official_2021_lists(province) -> None:
    rows = {r.code: r.name for r in services.builtin_rows(province) if r.code != province}
    assert rows == _official(province)


@pytest.mark.parametrize("head", sorted(SHORT_NAMES))
def test_every_provinces_builtin_rows_form_a_tree(head) -> None:
    province = head.ljust(12, "0")
    rows = services.builtin_rows(province)
    found = {r.code for r in rows}
    assert province in found and len(found) == len(rows) > 10
    assert all(codes.parent_of(code) in found for code in found - {province})


def test_ancestors_and_children(app, regions) -> None:
    village = services.get_region(regions["village"])
    chain = [regions["province"], regions["city"], regions["county"], regions["town"]]
    assert [r.code for r in services.ancestors_of(village)] == chain
    names = " ".join(services.get_region(code).name for code in chain[:3])
    assert services.full_name(village).startswith(f"{names} ")
    children = services.children_of(regions["city"])
    assert regions["county"] in [c.code for c in children]
    assert all(c.level == 3 for c in children)


def test_around_is_a_trail_and_children_that_follow_the_tree(app, regions, tmp_path) -> None:
    shown, ancestors, children = services.around(regions["town"])
    assert shown.code == regions["town"]
    assert [a.code for a in ancestors] == [regions["province"], regions["city"],
                                           regions["county"]]
    assert [c.code for c in children] == [r.code for r in services.children_of(regions["town"])]
    assert children and all(c.parent_code == regions["town"] for c in children)
    with pytest.raises(services.RegionNotFound):
        services.around("459999999999")
    village = children[0]
    services.import_regions(_write(tmp_path, [["code", "name"], [village.code, "改名村"]]),
                            confirm=True)
    db.session.commit()
    assert services.around(regions["town"])[2][0].name == "改名村"  # remembered until a rename


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "regions.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_import_is_a_dry_run_unless_confirmed(app, tmp_path) -> None:
    services.load_builtin_province("450000000000")
    db.session.commit()
    path = _write(tmp_path, [["code", "name"], ["450102001", "民生街道"],
                             ["450102001003", "兴宁社区居委会"]])
    report = services.import_regions(path, confirm=False)
    assert report.ok and report.created == 2
    assert db.session.get(Region, "450102001003") is None
    report = services.import_regions(path, confirm=True)
    assert db.session.get(Region, "450102001003").parent_code == "450102001000"


def test_import_reports_every_bad_line_and_writes_nothing(app, tmp_path) -> None:
    services.load_builtin_province("450000000000")
    db.session.commit()
    before = services.count_regions()
    path = _write(tmp_path, [["code", "name"], ["450102001", "民生街道"], ["4501x", "坏"],
                             ["450999001", "无上级镇"], ["450102001", "重复"],
                             ["450102002", ""]])
    report = services.import_regions(path, confirm=True)
    assert [line for line, _ in report.errors] == [3, 4, 5, 6]
    assert "上级区划" in report.errors[1][1]
    assert services.count_regions() == before


def test_import_of_the_real_guangxi_towns_and_villages(app) -> None:
    services.load_builtin_province("450000000000")
    db.session.commit()
    towns = services.import_regions(shared_data("divisions", "guangxi_towns.csv"), confirm=True)
    assert towns.ok, towns.errors[:5]
    villages = services.import_regions(shared_data("divisions", "guangxi_villages.csv"),
                                       confirm=True)
    assert villages.ok, villages.errors[:5]
    assert villages.created == 16610
    count = db.session.scalar(select(func.count()).select_from(Region).where(Region.level == 5))
    assert count == 16610
    assert services.get_region("450102001003").name == "兴宁社区居委会"


def test_child_names_are_remembered_until_the_tree_is_imported_again(app, tmp_path) -> None:
    services.load_builtin_province("450000000000")
    db.session.commit()
    county = "450102000000"
    assert services.child_names(county) == {}
    db.session.add(Region(code="450102001000", name="暗中加的街道", level=4,
                          parent_code=county, synthetic=True))
    db.session.commit()
    # Written behind the services' back: the remembered list still holds.
    assert services.child_names(county) == {}
    path = _write(tmp_path, [["code", "name"], ["450102001", "民生街道"],
                             ["450102002", "朝阳街道"]])
    assert services.import_regions(path, confirm=True).ok
    assert services.child_names(county) == {"450102001000": "民生街道",
                                            "450102002000": "朝阳街道"}
    assert services.import_regions(path, confirm=True).ok  # nothing new, nothing renamed
    assert services.child_names("450000000000")["450100000000"] == "南宁市"
