"""Handling statistics: the figures themselves, and small counts hidden consistently on every
region's page (disclosure control itself is proved in tests/stats/test_disclosure_complaints.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sunshine.complaints import counts, handling, services, stats
from sunshine.complaints.models import Kind, Rating
from sunshine.regions import services as regions_service
from tests.complaints.conftest import file_case
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE

pytestmark = pytest.mark.postgres

K = 10


def _at(month: int, day: int = 10) -> datetime:
    return datetime(2025, month, day, 2, 0, tzinfo=UTC)


def test_report_counts_months_kinds_and_regions_and_hides_small_ones(app, regions,
                                                                     users) -> None:
    staff = users["county"]
    # March: 12 reports in the county, answered on time (10) or late (2), rated.
    for n in range(12):
        case, _ = file_case(now=_at(3), kind=Kind.REPORT)
        handling.accept(case, staff, now=_at(3, 11))
        handling.reply(case, staff, "已答复", now=_at(3, 12) if n < 10 else _at(4, 20))
        services.rate(case, Rating.SATISFIED if n < 9 else Rating.DISSATISFIED, now=_at(4, 25))
    # March: 3 complaints elsewhere in the province (another county), unanswered.
    for _ in range(3):
        file_case(region=f"{OTHER_PREFIX}101201", now=_at(3), kind=Kind.COMPLAINT)
    # A held (suspected spam) case is not counted.
    file_case(now=_at(3), suspicion="honeypot")
    county = regions_service.get_region(SAMPLE["county"])
    report = stats.build_report(county, 2025, K, now=datetime(2026, 1, 5, tzinfo=UTC))
    table = report.by_month_kind
    assert table.row_keys[0] == "2025-01" and len(table.row_keys) == 12
    march = table.row_keys.index("2025-03")
    kinds = table.col_labels
    # 12 reports in one village of the county: its town, the county's own row and the other
    # towns are small, so the county's 12 would give them away (12 - 12 = 0): hidden too.
    assert table.cells[march][kinds.index("举报")].text in ("×", "—")
    assert table.cells[march][kinds.index("投诉")].text == "<10"
    metrics = table.metrics[march]
    assert metrics["on_time_rate"].value == round(100 * 10 / 12, 1)
    assert metrics["median_days_to_reply"].value == 2.0
    assert metrics["satisfaction_rate"].value == 75.0
    assert table.metrics[table.row_keys.index("2025-04")]["on_time_rate"].suppressed
    # The one-query rate other pages show is the report's total rate, suppressed alike.
    now = datetime(2026, 1, 5, tzinfo=UTC)
    assert stats.reply_rate(county, 2025, K, now) == table.total_metrics["on_time_rate"]
    assert stats.reply_rate(county, 2025, K, now).value == round(100 * 10 / 12, 1)
    assert stats.reply_rate(regions_service.get_region(SAMPLE["province"]), 2025, K, now) \
        == report_province_rate(now)
    assert stats.reply_rate(county, 2025, 13, now).suppressed
    items = stats.items(report)
    complaint = [i for i in items if i["period"] == "2025-03" and i["kind"] == "投诉"]
    assert complaint == [{"region": {"code": SAMPLE["county"], "name": SAMPLE["county_name"]},
                          "period": "2025-03", "measure": "received", "kind": "投诉",
                          "category": None, "value": None, "suppressed": True}]
    assert not any(i["value"] is not None and i["measure"] == "received" and i["value"] < K
                   for i in items)
    # The child table: the towns, then the county's own cases (本级).
    assert report.by_child is not None
    assert report.children[0][0] == SAMPLE["town"]
    assert report.children[-1] == (SAMPLE["county"] + "+", f"{SAMPLE['county_name']}本级")
    assert report.by_child.row_keys[-1] == ""  # no page of its own
    assert {"code": SAMPLE["county"], "name": f"{SAMPLE['county_name']}本级"} in [
        i["region"] for i in items]


def _figures(report: stats.Report) -> dict[tuple[str, object], str]:
    """(region, figure) -> what the page shows, for every count of a report."""
    shown: dict[tuple[str, object], str] = {}
    code = report.region.code
    for table, col_key, cell_key in ((report.by_month_kind, "kind", "month_kind"),
                                     (report.by_month_category, "category", "month_category")):
        for i, row in enumerate(table.row_keys):
            month = int(row[-2:])
            shown[(code, ("month", month))] = table.row_totals[i].text
            for j, col in enumerate(table.col_labels):
                shown[(code, (cell_key, month, col))] = table.cells[i][j].text
        for j, col in enumerate(table.col_labels):
            shown[(code, (col_key, col))] = table.col_totals[j].text
        shown[(code, ("all",))] = table.grand.text
    if report.by_child is not None:
        for i, (child, _) in enumerate(report.children):
            shown[(child, ("all",))] = report.by_child.row_totals[i].text
            for j, col in enumerate(report.by_child.col_labels):
                shown[(child, ("kind", col))] = report.by_child.cells[i][j].text
    return shown


def test_a_figure_is_shown_alike_everywhere_and_no_total_gives_a_small_one_away(
        app, regions) -> None:
    towns = sorted({SAMPLE["town"], f"{COUNTY_PREFIX}102000"})
    # A busy village, a quiet one in the other town, and cases about the county itself.
    for _ in range(40):
        file_case(region=towns[0][:9] + "201", now=_at(3), kind=Kind.REPORT)
    for _ in range(3):
        file_case(region=towns[1][:9] + "201", now=_at(3), kind=Kind.REPORT)
    for _ in range(25):
        file_case(region=SAMPLE["county"], now=_at(3), kind=Kind.REPORT)
    for _ in range(30):
        file_case(region=f"{OTHER_PREFIX}101201", now=_at(3), kind=Kind.REPORT)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    pages = [SAMPLE["province"], SAMPLE["city"], SAMPLE["county"], SAMPLE["other_county"],
             *towns, towns[0][:9] + "201", towns[1][:9] + "201"]
    seen: dict[tuple[str, object], set[str]] = {}
    for code in pages:
        report = stats.build_report(regions_service.get_region(code), 2025, K, now=now)
        for key, text in _figures(report).items():
            seen.setdefault(key, set()).add(text)
    differing = {key: texts for key, texts in seen.items() if len(texts) > 1}
    assert not differing, differing
    shown = {key: texts.pop() for key, texts in seen.items()}
    # The quiet town's 3 reports are hidden, and the county's total minus the other rows of
    # its child table does not give them: some other row is hidden too.
    county = SAMPLE["county"]
    rows = [*towns, county + "+"]
    assert shown[(towns[1], ("all",))] in ("<10", "—")
    assert shown[(county, ("all",))] != "<10"
    assert any(not shown[(row, ("all",))].replace(",", "").isdigit() for row in rows
               if row != towns[1]) or not shown[(county, ("all",))].replace(",", "").isdigit()
    # Something is published: the figures are not all hidden.
    assert any(text.replace(",", "").isdigit() for text in shown.values())


def report_province_rate(now: datetime) -> stats.Rate:
    province = regions_service.get_region(SAMPLE["province"])
    return stats.build_report(province, 2025, K, now=now).by_month_kind.total_metrics[
        "on_time_rate"]


def test_a_quiet_village_shows_nothing_but_suppressed_cells(app, regions) -> None:
    for _ in range(2):
        file_case(now=_at(5))
    village = regions_service.get_region(SAMPLE["village"])
    report = stats.build_report(village, 2025, K, now=datetime(2026, 1, 5, tzinfo=UTC))
    assert report.by_child is None
    shown = [i for i in stats.items(report) if not i["suppressed"]]
    assert all(i["measure"] != "received" or i["value"] >= K for i in shown)
    assert report.by_month_kind.grand.suppressed


def test_months_follow_china_time(app, regions) -> None:
    # 20:00 UTC on 31 March is 04:00 on 1 April in China.
    file_case(now=datetime(2025, 3, 31, 20, 0, tzinfo=UTC))
    found = counts.count_year(2025, K, SAMPLE["province"], datetime(2026, 1, 5, tzinfo=UTC))
    vector, lay = found.vectors[SAMPLE["county"]], found.layout
    assert vector[lay("month", 4)] == 1 and vector[lay("month", 3)] == 0
    assert found.vectors[SAMPLE["province"]][lay("all")] == 1
    assert stats.years_with_cases() == [2025]
    this_year = stats.build_report(regions_service.get_region(SAMPLE["county"]), 2026, 1,
                                   now=datetime(2026, 3, 5, tzinfo=UTC) + timedelta(hours=1))
    assert this_year.by_month_kind.row_keys == ["2026-01", "2026-02", "2026-03"]


def test_a_region_without_cases_under_a_quiet_one_is_hidden_like_it(app, regions) -> None:
    file_case(now=_at(5))
    found = counts.count_year(2025, K, SAMPLE["province"], datetime(2026, 1, 5, tzinfo=UTC))
    quiet_town = f"{OTHER_PREFIX}101000"
    assert quiet_town not in found.status  # its county has no case: not settled on its own
    village = quiet_town[:9] + "201"
    assert found.status_of(village) == found.status_of(SAMPLE["other_county"])
    assert found.figure(village, "all").text in ("<10", "—")
