"""A consistent copy of everything (database and uploads) in one tar file, and its restore.

SQLite is copied with its online backup API, PostgreSQL with ``pg_dump``: both give a
consistent snapshot while the site keeps serving. The search index is not included; it is
rebuilt from the database with ``sunshine search rebuild``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from sunshine.database import utcnow
from sunshine.extensions import db

FORMAT = 1


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why."""


def _url() -> Any:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_conninfo(url: Any) -> list[str]:
    """libpq arguments for pg_dump/pg_restore (the password travels in the environment)."""
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return args


def _pg_env(url: Any) -> dict[str, str]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _revision() -> str | None:
    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # noqa: BLE001  (no alembic table: schema made without migrations)
        db.session.rollback()
        return None


def backup(target: Path) -> dict[str, Any]:
    """Write ``target`` (a tar file) and return its manifest.

    :raise BackupError: when the database cannot be read or the tools are missing.
    """
    url = _url()
    dialect = url.get_backend_name()
    manifest = {"format": FORMAT, "dialect": dialect, "created_at": utcnow().isoformat(),
                "revision": _revision()}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / ("database.sqlite" if dialect == "sqlite" else "database.pgdump")
        if dialect == "sqlite":
            _sqlite_backup(Path(url.database), dump)
        elif dialect == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump),
                  *_pg_conninfo(url)], url)
        else:
            raise BackupError(f"不支持的数据库类型 {dialect}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with _private_file(partial) as handle, tarfile.open(fileobj=handle, mode="w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            uploads = Path(current_app.config["UPLOAD_DIR"])
            if uploads.is_dir():
                tar.add(uploads, arcname="uploads")
        partial.replace(target)
    return manifest


def _private_file(path: Path) -> BinaryIO:
    """A new file only its owner may read: a backup holds the register, complainants'
    identities and password hashes, and the umask alone would leave it readable by all."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the file may have been left behind, with other modes, by a failed run
    return os.fdopen(fd, "wb")


def _sqlite_backup(source: Path, dump: Path) -> None:
    if not source.exists():
        raise BackupError(f"数据库文件 {source} 不存在")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dump)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run(command: list[str], url: Any) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"找不到 {command[0]}，请安装 PostgreSQL 客户端")
    done = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 出错：{done.stderr.strip()[:500]}")


def instance_is_empty() -> bool:
    """True when no table of ours holds a row (an empty schema from init-db is fine)."""
    inspector = inspect(db.engine)
    existing = set(inspector.get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name in existing and db.session.scalar(
                select(func.count()).select_from(table)):
            return False
    return True


def restore(source: Path) -> dict[str, Any]:
    """Load ``source`` into this instance, which must be empty.

    :raise BackupError: for a non-empty instance, a damaged file or a different database type.
    """
    url = _url()
    try:
        with tarfile.open(source, "r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:  # a folder or a link, not the manifest
                raise BackupError("备份文件损坏或不完整：manifest.json 不是文件")
            manifest = json.loads(member.read())
            if manifest.get("format") != FORMAT:
                raise BackupError("备份文件格式不认识")
            if manifest["dialect"] != url.get_backend_name():
                raise BackupError(
                    f"备份来自 {manifest['dialect']}，不能直接恢复到 {url.get_backend_name()}")
            if not instance_is_empty():
                raise BackupError("目标数据库不是空的；只能恢复到空实例")
            with tempfile.TemporaryDirectory() as tmp:
                tar.extractall(tmp, filter="data")
                _restore_database(Path(tmp), manifest, url)
                uploads = Path(tmp) / "uploads"
                if uploads.is_dir():
                    shutil.copytree(uploads, current_app.config["UPLOAD_DIR"], dirs_exist_ok=True)
    except (tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
        raise BackupError(f"备份文件损坏或不完整：{exc}") from exc
    return manifest


def _restore_database(folder: Path, manifest: dict[str, Any], url: Any) -> None:
    db.session.remove()
    db.engine.dispose()
    if manifest["dialect"] == "sqlite":
        src = sqlite3.connect(folder / "database.sqlite")
        dst = sqlite3.connect(url.database)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *_pg_conninfo(url), str(folder / "database.pgdump")], url)
    db.engine.dispose()
