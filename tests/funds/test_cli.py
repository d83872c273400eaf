"""``sunshine verify`` and ``sunshine import funds|spending|projects``."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from sunshine.extensions import db
from sunshine.funds.models import Fund, FundLine, Spending
from sunshine.projects.models import Project
from sunshine.records.models import LedgerEntry
from tests.conftest import SAMPLE
from tests.funds.conftest import COUNTY, Setup

pytestmark = pytest.mark.postgres


def test_verify_passes_then_fails_naming_the_altered_entry(runner, funded: Setup) -> None:
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0 and "公开记录完好：3 条记录" in result.output
    seq = db.session.scalar(select(LedgerEntry.seq).where(LedgerEntry.record_type == "project"))
    db.session.execute(text("UPDATE project SET beneficiary_households = 400"))
    db.session.commit()
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1
    assert f"第 {seq} 条（扶贫项目 #{funded.project.id} 第 1 版）" in result.output
    assert "beneficiary_households：40 → 400" in result.output


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


FUND_HEADER = ["year", "name", "document_number", "issuer", "source_level", "fund_type",
               "amount", "region_code", "issued_on", "purpose"]


def test_import_funds_is_a_dry_run_then_all_or_nothing(runner, regions, tmp_path) -> None:
    good = ["2020", "2020年中央财政专项扶贫资金", "桂财农〔2020〕1号", "自治区财政厅", "中央",
            "财政专项扶贫资金", "1000000.00", COUNTY, "2020-03-02", "产业"]
    path = write(tmp_path / "funds.csv", [FUND_HEADER, good,
                                           [*good[:2], "桂财农〔2020〕2号", *good[3:6], "１００",
                                            *good[7:]],
                                           [*good[:2], "桂财农〔2020〕3号", *good[3:7],
                                            "999999999999", *good[8:]],
                                           [*good[:2], "桂财农〔2020〕4号", *good[3:8],
                                            "2020-13-01", good[9]]])
    result = runner.invoke(args=["import", "funds", str(path), "--confirm"])
    assert result.exit_code == 1
    for line in (3, 4, 5):
        assert f"{path}:{line}:" in result.output
    assert "半角" in result.output and "不存在" in result.output
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 0
    path = write(tmp_path / "funds.csv", [FUND_HEADER, good,
                                           [*good[:2], "桂财农〔2020〕2号", *good[2 + 1:]]])
    dry = runner.invoke(args=["import", "funds", str(path)])
    assert dry.exit_code == 0 and "试运行" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 0
    done = runner.invoke(args=["import", "funds", str(path), "--confirm"])
    assert done.exit_code == 0 and "已导入" in done.output
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 2
    assert runner.invoke(args=["verify"]).exit_code == 0


def test_import_projects(runner, regions, tmp_path) -> None:
    header = ["name", "category", "region_code", "year", "budget", "implementing_unit", "stage",
              "beneficiary_households", "beneficiary_people", "approved_on"]
    row = ["示范村道", "基础设施", SAMPLE["village"], "2020", "300000", "兴宁区交通运输局", "实施",
           "40", "160", "2020-04-01"]
    bad = write(tmp_path / "p.csv", [header, row, [*row[:6], "造好了", *row[7:]]])
    result = runner.invoke(args=["import", "projects", str(bad), "--confirm"])
    assert result.exit_code == 1 and f"{bad}:3:" in result.output
    good = write(tmp_path / "p.csv", [header, row])
    assert runner.invoke(args=["import", "projects", str(good), "--confirm"]).exit_code == 0
    project = db.session.scalar(select(Project))
    assert project.stage == "实施" and project.state == "published"
    assert runner.invoke(args=["verify"]).exit_code == 0


SPENDING_HEADER = ["document_number", "region_code", "amount", "paid_on", "payee", "purpose",
                   "voucher", "project_id"]


def test_import_spending_checks_every_row_then_draws_the_balances_in_order(
        runner, funded: Setup, tmp_path) -> None:
    """The ``funded`` allocation: 1,000,000.00, of which 300,000.00 is lined to a project."""
    fund, project = funded.fund, funded.project
    number = fund.document_number
    to_project = [number, COUNTY, "200000.00", "2020-05-10", "兴宁区交通运输局", "村道硬化",
                  "记-001", str(project.id)]
    general = [number, COUNTY, "500000.00", "2020-06-01", "兴宁区农业农村局", "产业奖补", "", ""]
    bad = write(tmp_path / "s.csv", [
        SPENDING_HEADER, to_project,
        [number, SAMPLE["other_county"], *general[2:]],  # no such fund in that county
        [*general[:2], "１００", *general[3:]],
        [*general[:3], "2019-01-01", *general[4:]],  # before the fund was issued
        [*general[:4], "张三 450102199001011231", *general[5:]],  # an ID number
    ])
    result = runner.invoke(args=["import", "spending", str(bad), "--confirm"])
    assert result.exit_code == 1
    for line in (3, 4, 5, 6):
        assert f"{bad}:{line}:" in result.output
    assert f"{bad}:2:" not in result.output and "找不到已公开的资金" in result.output
    # Each row fits alone, but the second draw on the project's line overdraws it.
    over = write(tmp_path / "s.csv", [SPENDING_HEADER, to_project, general,
                                      [*to_project[:2], "150000.00", *to_project[3:]]])
    result = runner.invoke(args=["import", "spending", str(over), "--confirm"])
    assert result.exit_code == 1 and f"{over}:4:" in result.output
    assert "超出分配给这个项目的余额：还可支出 100000.00 元" in result.output
    assert db.session.scalar(select(func.count()).select_from(Spending)) == 0
    good = write(tmp_path / "s.csv", [SPENDING_HEADER, to_project, general])
    dry = runner.invoke(args=["import", "spending", str(good)])
    assert dry.exit_code == 0 and "试运行" in dry.output and "新增 2" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Spending)) == 0
    done = runner.invoke(args=["import", "spending", str(good), "--confirm"])
    assert done.exit_code == 0 and "已导入" in done.output
    db.session.expire_all()
    assert db.session.get(Fund, fund.id).spent == Decimal("700000.00")
    assert db.session.scalar(select(FundLine.spent).where(FundLine.project_id == project.id)) \
        == Decimal("200000.00")
    assert runner.invoke(args=["verify"]).exit_code == 0
