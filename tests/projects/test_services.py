"""Projects through the services: lifecycle steps, corrections with history, funding figures,
and the summary table. Also run on PostgreSQL (--postgres)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.funds import services as funds
from sunshine.projects import services as projects
from sunshine.projects.models import ProjectTotal
from sunshine.records import ledger
from sunshine.records.checks import RecordError
from tests.conftest import OTHER_PREFIX, SAMPLE
from tests.funds.conftest import COUNTY, Setup, make_project, project_fields

pytestmark = pytest.mark.postgres


def county_figures() -> tuple[int, Decimal, int]:
    row = db.session.execute(select(func.sum(ProjectTotal.projects), func.sum(ProjectTotal.budget),
                                    func.sum(ProjectTotal.households))
                             .where(ProjectTotal.region_code == COUNTY)).one()
    return int(row[0] or 0), row[1] or Decimal(0), int(row[2] or 0)


def test_the_lifecycle_moves_one_step_at_a_time_with_dated_updates(regions) -> None:
    project = make_project()
    assert county_figures() == (1, Decimal("300000.00"), 40)
    with pytest.raises(RecordError, match="只能从"):
        projects.add_update(None, project, date(2020, 5, 1), "跳到完工", "完工")
    for stage, day in (("审批", 2), ("实施", 10), ("完工", 20), ("验收", 28)):
        projects.add_update(None, project, date(2020, 5, day), f"进入{stage}", stage)
    assert project.stage == "验收" and project.actual_start == date(2020, 5, 10)
    assert project.actual_end == date(2020, 5, 20) and project.version == 5
    projects.add_update(None, project, date(2020, 6, 1), "运行良好")  # a note, no new version
    assert project.version == 5
    with pytest.raises(RecordError, match="不能再变更"):
        projects.add_update(None, project, date(2020, 6, 2), "终止", "终止", "原因")
    stages = db.session.execute(select(ProjectTotal.stage, ProjectTotal.projects).where(
        ProjectTotal.region_code == COUNTY, ProjectTotal.projects != 0)).all()
    assert stages == [("验收", 1)]
    actions = [v.action for v in ledger.history("project", project.id)]
    assert actions == ["publish", "update", "update", "update", "update"]
    assert ledger.verify().ok


def test_termination_needs_a_reason(regions) -> None:
    project = make_project()
    with pytest.raises(RecordError, match="终止原因"):
        projects.add_update(None, project, date(2020, 5, 1), "停", "终止")
    projects.add_update(None, project, date(2020, 5, 1), "停止建设", "终止", "选址不适宜")
    assert project.terminated and project.stage_reason == "选址不适宜"


def test_a_correction_keeps_history_and_moves_the_totals(funded: Setup) -> None:
    project = funded.project
    with pytest.raises(RecordError, match="不能更改所在地区"):
        moved = project_fields(region_code=f"{OTHER_PREFIX}101201")
        projects.correct_project(None, project, moved, "x")
    projects.correct_project(None, project, project_fields(beneficiary_households=50,
                                                           beneficiary_people=200), "户数统计有误")
    versions = ledger.history("project", project.id)
    assert ("beneficiary_households", 40, 50) in versions[-1].changes
    assert county_figures()[2] == 50
    with pytest.raises(RecordError, match="分配"):
        projects.withdraw_project(None, project, "撤回")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("beneficiary_poor_households", 41, "贫困户数"), ("budget", Decimal("-1"), "负数"),
    ("category", "炼金", "类别"), ("planned_end", date(2019, 1, 1), "不能早于"),
    ("name", "工程\x07", "无效字符"), ("region_code", "000000000000", "区划"),
])
def test_bad_project_fields_are_refused(regions, field: str, value: object,
                                        message: str) -> None:
    fields = project_fields(planned_start=date(2020, 3, 1), **{field: value})
    with pytest.raises(RecordError) as caught:
        projects.create_project(None, fields)
    assert message in caught.value.message


def test_funding_follows_lines_and_spending(funded: Setup) -> None:
    project = funded.project
    funds.record_spending(None, funded.fund, funds.SpendingFields(
        amount=Decimal("120000.00"), paid_on=date(2020, 6, 1), payee="示范建设工程有限公司",
        project_id=project.id))
    db.session.refresh(project)
    assert (project.funded, project.spent) == (Decimal("300000.00"), Decimal("120000.00"))
    spent = db.session.scalar(select(func.sum(ProjectTotal.spent))
                              .where(ProjectTotal.region_code == SAMPLE["province"]))
    assert spent == Decimal("120000.00")
