"""Handling statistics: suppression of small counts and the figures themselves."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sunshine.complaints import handling, services, stats
from sunshine.complaints.models import Kind, Rating
from sunshine.regions import services as regions_service
from tests.complaints.conftest import file_case
from tests.conftest import OTHER_PREFIX, SAMPLE

pytestmark = pytest.mark.postgres

K = 10


def _recoverable(grid: list[list[int]], hidden: list[list[bool]], row_hidden: list[bool],
                 col_hidden: list[bool], grand_hidden: bool) -> list[str]:
    """Lines where exactly one item is hidden: its value follows from the others."""
    rows, cols = len(grid), len(grid[0])
    problems = []
    for i in range(rows):
        if sum(hidden[i]) + row_hidden[i] == 1:
            problems.append(f"row {i}")
    for j in range(cols):
        if sum(hidden[i][j] for i in range(rows)) + col_hidden[j] == 1:
            problems.append(f"col {j}")
    if sum(row_hidden) + grand_hidden == 1:
        problems.append("row totals")
    if sum(col_hidden) + grand_hidden == 1:
        problems.append("column totals")
    return problems


def test_small_counts_are_hidden_with_complements() -> None:
    grid = [[30, 3, 25], [40, 22, 31], [12, 15, 50]]
    hidden, row_hidden, col_hidden, grand_hidden = stats.suppress_table(grid, K)
    assert hidden[0][1]  # the small one
    assert sum(map(sum, hidden)) >= 4  # a complement in its row, its column, and one more
    assert _recoverable(grid, hidden, row_hidden, col_hidden, grand_hidden) == []
    assert not any(row_hidden) and not any(col_hidden) and not grand_hidden


def test_suppression_never_leaves_a_line_with_one_hidden_item() -> None:
    values = [0, 1, 4, 9, 10, 11, 25, 60]
    for n, combo in enumerate(itertools.product(values, repeat=4)):
        if n % 7:
            continue
        grid = [list(combo[:2]), list(combo[2:])]
        result = stats.suppress_table(grid, K)
        assert _recoverable(grid, *result) == [], grid
        hidden = result[0]
        for i, j in itertools.product(range(2), range(2)):
            if grid[i][j] < K:
                assert hidden[i][j]


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
    province = regions_service.get_region(SAMPLE["province"])
    report = stats.build_report(province, 2025, K, now=datetime(2026, 1, 5, tzinfo=UTC))
    table = report.by_month_kind
    march = table.row_keys.index("2025-03")
    kinds = table.col_labels
    assert table.cells[march][kinds.index("举报")].value == 12
    assert not table.cells[march][kinds.index("举报")].suppressed
    assert table.cells[march][kinds.index("投诉")].suppressed
    assert table.row_totals[march].value == 15 and not table.row_totals[march].suppressed
    metrics = table.metrics[march]
    assert metrics["on_time_rate"].value == round(100 * 10 / 15, 1)  # 3 unanswered are due
    assert metrics["median_days_to_reply"].value == 2.0
    assert metrics["satisfaction_rate"].value == 75.0
    assert table.metrics[table.row_keys.index("2025-04")]["on_time_rate"].suppressed
    # Shown as "<10", and in the long format as null with "suppressed": true.
    assert table.cells[march][kinds.index("投诉")].shown(K) == "<10"
    items = stats.items(report)
    complaint = [i for i in items if i["period"] == "2025-03" and i["kind"] == "投诉"]
    assert complaint == [{"region": {"code": SAMPLE["province"], "name": SAMPLE["province_name"]},
                          "period": "2025-03", "measure": "received", "kind": "投诉",
                          "category": None, "value": None, "suppressed": True}]
    assert not any(i["value"] is not None and i["measure"] == "received" and i["value"] < K
                   for i in items)
    # The child table: Nanning (12 + 3 = 15) shown, the rest suppressed as needed.
    assert report.by_child is not None
    first_city = [c.code for c in report.children].index(SAMPLE["city"])
    assert report.by_child.row_totals[first_city].value == 15


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
    report = stats.build_report(regions_service.get_region(SAMPLE["county"]), 2025, 1,
                                now=datetime(2026, 1, 5, tzinfo=UTC))
    table = report.by_month_kind
    assert table.row_totals[table.row_keys.index("2025-04")].value == 1
    assert table.row_totals[table.row_keys.index("2025-03")].value == 0
    assert stats.years_with_cases() == [2025]
    this_year = stats.build_report(regions_service.get_region(SAMPLE["county"]), 2026, 1,
                                   now=datetime(2026, 3, 5, tzinfo=UTC) + timedelta(hours=1))
    assert this_year.by_month_kind.row_keys == ["2026-01", "2026-02", "2026-03"]
