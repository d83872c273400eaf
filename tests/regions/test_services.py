import csv
from pathlib import Path

from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.regions import services
from sunshine.regions.models import Region
from tests.conftest import shared_data


def test_builtin_province_has_the_real_cities_and_counties(app) -> None:
    services.load_builtin_province()
    db.session.commit()
    assert len(services.list_regions(level=2)) == 14
    assert len(services.list_regions(level=3)) == 111
    nanning = services.get_region("450100000000")
    assert nanning.name == "南宁市"
    assert nanning.latitude is not None and 22 < nanning.latitude < 24
    assert services.load_builtin_province() == 0  # idempotent


def test_ancestors_and_children(app, regions) -> None:
    village = services.get_region(regions["village"])
    assert [r.code for r in services.ancestors_of(village)] == [
        "450000000000", "450100000000", "450102000000", "450102101000"]
    assert services.full_name(village).startswith("广西壮族自治区 南宁市 兴宁区 ")
    children = services.children_of("450100000000")
    assert "450102000000" in [c.code for c in children]
    assert all(c.level == 3 for c in children)


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "regions.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_import_is_a_dry_run_unless_confirmed(app, tmp_path) -> None:
    services.load_builtin_province()
    db.session.commit()
    path = _write(tmp_path, [["code", "name"], ["450102001", "民生街道"],
                             ["450102001003", "兴宁社区居委会"]])
    report = services.import_regions(path, confirm=False)
    assert report.ok and report.created == 2
    assert db.session.get(Region, "450102001003") is None
    report = services.import_regions(path, confirm=True)
    assert db.session.get(Region, "450102001003").parent_code == "450102001000"


def test_import_reports_every_bad_line_and_writes_nothing(app, tmp_path) -> None:
    services.load_builtin_province()
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
    services.load_builtin_province()
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
