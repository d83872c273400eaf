"""``sunshine import households|members FILE`` and ``sunshine stats rebuild|check``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.stats.models import Household, MemberId
from sunshine.stats.synthetic import HOUSEHOLD_CSV_HEADER, MEMBER_CSV_HEADER
from tests.stats.conftest import make_register

pytestmark = pytest.mark.postgres


def test_import_is_a_dry_run_until_confirmed(runner, regions, csv_file) -> None:
    households = make_register(12)
    h = csv_file("h.csv", HOUSEHOLD_CSV_HEADER, [x.csv_row() for x in households])
    m = csv_file("m.csv", MEMBER_CSV_HEADER,
                 [[f"{x.archive:016d}", *p] for x in households for p in x.members])
    dry = runner.invoke(args=["import", "households", str(h)])
    assert dry.exit_code == 0 and "试运行" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0
    done = runner.invoke(args=["import", "households", str(h), "--confirm"])
    assert done.exit_code == 0 and "已导入" in done.output, done.output
    assert runner.invoke(args=["import", "members", str(m), "--confirm"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(MemberId)) == sum(
        len(x.members) for x in households)


def test_bad_rows_exit_non_zero_with_file_and_line(runner, regions, csv_file) -> None:
    rows = [x.csv_row() for x in make_register(3)]
    rows[2][4] = "0"
    path = csv_file("bad.csv", HOUSEHOLD_CSV_HEADER, rows)
    result = runner.invoke(args=["import", "households", str(path), "--confirm"])
    assert result.exit_code == 1
    assert f"{path}:4:" in result.output and "家庭人口数" in result.output


def test_rebuild_and_check(runner, register) -> None:
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0 and "一致" in result.output, result.output
    check = runner.invoke(args=["stats", "check"])
    assert check.exit_code == 0 and "一致" in check.output
    db.session.execute(Household.__table__.update().values(size=Household.size + 1))
    db.session.commit()
    assert runner.invoke(args=["stats", "check"]).exit_code == 1
