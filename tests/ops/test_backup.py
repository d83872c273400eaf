"""Backup while serving, restore into a fresh instance, compare."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sunshine import create_app
from sunshine.accounts.models import User
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.ops import backup as service
from sunshine.regions.models import Region
from tests.apps import make_config
from tests.conftest import SAMPLE
from tests.factories import make_user

pytestmark = pytest.mark.postgres


def _snapshot() -> dict[str, list[tuple]]:
    return {
        "regions": [tuple(r) for r in db.session.execute(
            select(Region.code, Region.name, Region.synthetic).order_by(Region.code))],
        "users": [tuple(r) for r in db.session.execute(
            select(User.username, User.password_hash, User.region_code).order_by(User.id))],
        "audit": [tuple(r) for r in db.session.execute(
            select(AuditEntry.action, AuditEntry.object_id).order_by(AuditEntry.id))],
    }


@pytest.fixture
def second_url(request, tmp_path) -> str:
    if request.config.getoption("--postgres"):
        return request.getfixturevalue("pg_server").create_database("restore_target")
    return f"sqlite:///{tmp_path / 'restored.sqlite'}"


def test_backup_then_restore_into_a_fresh_instance(app, regions, tmp_path, second_url) -> None:
    make_user("clerk-a")
    uploads = Path(app.config["UPLOAD_DIR"])
    (uploads / "photos").mkdir(parents=True)
    (uploads / "photos" / "a.txt").write_text("照片占位", encoding="utf-8")
    before = _snapshot()
    archive = tmp_path / "backup.tar"
    # A connection with an open read transaction stands in for the site serving requests.
    with db.engine.connect() as busy:
        busy.execute(text("SELECT count(*) FROM region")).scalar()
        manifest = service.backup(archive)
    assert manifest["dialect"] in {"sqlite", "postgresql"}

    target = create_app(make_config(tmp_path / "restored", second_url))
    with target.app_context():
        db.create_all()  # an empty schema, as after `sunshine init-db`
        service.restore(archive)
        assert _snapshot() == before
        restored = Path(target.config["UPLOAD_DIR"]) / "photos" / "a.txt"
        assert restored.read_text(encoding="utf-8") == "照片占位"
        # Restoring twice is refused: the instance is no longer empty.
        with pytest.raises(service.BackupError, match="空实例"):
            service.restore(archive)
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_backup_is_refused(app, tmp_path) -> None:
    broken = tmp_path / "broken.tar"
    broken.write_bytes(b"not a tar file at all")
    with pytest.raises(service.BackupError, match="损坏"):
        service.restore(broken)


def test_a_backup_is_readable_by_its_owner_only(app, regions, tmp_path) -> None:
    archive = tmp_path / "private.tar"
    # Left behind, world-readable, by an interrupted run; and the usual umask.
    archive.with_name("private.tar.partial").write_bytes(b"old")
    archive.with_name("private.tar.partial").chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        service.backup(archive)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_cli_backup_and_restore(app, runner, regions, tmp_path, second_url) -> None:
    archive = tmp_path / "cli.tar"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.exists()
    target = create_app(make_config(tmp_path / "cli-restored", second_url))
    with target.app_context():
        db.create_all()
        result = target.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert db.session.get(Region, SAMPLE["county"]).name == SAMPLE["county_name"]
        db.session.remove()
        db.engine.dispose()


def test_audit_log_is_append_only_even_in_raw_sql(app) -> None:
    from sunshine.audit import record

    record("login", None, "user", "1")
    db.session.commit()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_entry SET action = 'x'"))
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_entry"))
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.action)) == "login"
