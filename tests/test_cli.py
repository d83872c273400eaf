"""The sunshine command: init-db by migrations, demo, user create, import."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, inspect, select

from sunshine import create_app
from sunshine.accounts.models import Role, User
from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.services import builtin_rows
from tests.apps import PASSWORD, make_config
from tests.conftest import COUNTY_PREFIX, SAMPLE
from tests.search.outbox_helpers import assert_loaders_agree_with_sources

pytestmark = pytest.mark.postgres


def test_init_db_builds_the_schema_from_migrations_matching_the_models(tmp_path,
                                                                        database_url) -> None:
    app = create_app(make_config(tmp_path, database_url))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"region", "user_account", "audit_entry", "alembic_version"} <= tables
        # Running it again is harmless.
        assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
        db.engine.dispose()


def test_demo_fills_regions_and_accounts_deterministically(app, runner) -> None:
    result = runner.invoke(args=["demo", "--seed", "7", "--households", "50"])
    assert result.exit_code == 0, result.output
    counties = select(func.count()).select_from(Region).where(Region.level == 3)
    in_province = [r for r in builtin_rows(SAMPLE["province"]) if codes.level_of(r.code) == 3]
    assert db.session.scalar(counties) == len(in_province)  # 111 in Guangxi
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.role == Role.ADMIN
    county = db.session.scalar(select(User).where(User.username == f"staff-{SAMPLE['county']}"))
    assert county.region_code == SAMPLE["county"]
    # A change the search outbox names is indexed as a rebuild would index it.
    assert_loaders_agree_with_sources()
    # A second run refuses (not empty) and --if-empty is quiet.
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1 and "已有数据" in again.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_demo_accounts_log_in_with_the_demo_password(app, client) -> None:
    app.test_cli_runner().invoke(args=["demo"])
    for login in ["admin", f"staff-{SAMPLE['county']}", f"staff-{COUNTY_PREFIX}"]:
        response = client.post("/login", data={"login": login, "password": PASSWORD})
        assert response.status_code == 302, login
        client.post("/logout")


def test_user_create_reads_the_password_from_stdin(app, runner, regions) -> None:
    result = runner.invoke(args=["user", "create", "--username", "clerk1", "--role", "staff",
                                 "--region", SAMPLE["county"]], input="a-long-unusual-pass-7\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "clerk1"))
    assert user.region_code == SAMPLE["county"] and user.role == Role.STAFF
    weak = runner.invoke(args=["user", "create", "--username", "clerk2", "--role", "staff",
                               "--region", SAMPLE["county"]], input="1234567890\n")
    assert weak.exit_code == 1 and "密码" in weak.output
    no_region = runner.invoke(args=["user", "create", "--username", "clerk3", "--role", "staff"],
                              input="a-long-unusual-pass-7\n")
    assert no_region.exit_code == 1 and "区划" in no_region.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_import_command_reports_line_numbers(app, runner, regions, tmp_path) -> None:
    path = tmp_path / "towns.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["code", "name"], [f"{COUNTY_PREFIX}001", "民生街道"],
                                      ["bad", "x"]])
    result = runner.invoke(args=["import", "regions", str(path), "--confirm"])
    assert result.exit_code == 1
    assert f"{path}:3:" in result.output
    assert db.session.get(Region, f"{COUNTY_PREFIX}001000") is None
    unknown = runner.invoke(args=["import", "nothing", str(path)])
    assert unknown.exit_code != 0 and "未知的导入类型" in unknown.output
    not_utf8 = tmp_path / "gbk.csv"
    not_utf8.write_bytes(f"code,name\n{COUNTY_PREFIX}001,民生街道\n".encode("gbk"))
    bad = runner.invoke(args=["import", "regions", str(not_utf8), "--confirm"])
    assert bad.exit_code == 1 and "UTF-8" in bad.output
