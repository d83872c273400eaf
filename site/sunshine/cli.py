"""The ``sunshine`` command: Flask's CLI bound to the factory, plus the site's own commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from sunshine.extensions import db


def _create_cli_app() -> Flask:
    from sunshine import create_app

    # Operators run the command line by hand; it is not the public server, so it may use a
    # generated instance key. Set SUNSHINE_ENV=production to get production checks here too.
    os.environ.setdefault("SUNSHINE_ENV", "development")
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_cli_app, add_version_option=False,
             load_dotenv=False)
def main() -> None:
    """阳光扶贫公开平台 management commands."""


def register(app: Flask) -> None:
    """The commands that span the features; each feature adds its own in its ``init_app``."""
    from sunshine.demo.cli import demo_command
    from sunshine.ops.cli import backup_command, restore_command
    from sunshine.records.cli import verify_command

    app.cli.add_command(init_db_command)
    app.cli.add_command(import_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(verify_command)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the schema to the newest migration; never drops data."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("数据库结构已是最新。")


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--confirm", is_flag=True, help="真正写入；不加时只检查（试运行）。")
@with_appcontext
def import_command(kind: str, file: Path, confirm: bool) -> None:
    """Import a CSV (regions, ...) all-or-nothing; a dry run unless --confirm."""
    from sunshine.importing import BadFile
    from sunshine.registry import registry

    importers = registry().importers
    importer = importers.get(kind)
    if importer is None:
        raise click.UsageError(f"未知的导入类型 {kind}；可用：{', '.join(sorted(importers))}")
    try:
        report = importer(file, confirm)
    except BadFile as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    for line, message in report.errors[:200]:
        click.echo(f"{file}:{line}: {message}", err=True)
    if len(report.errors) > 200:
        click.echo(f"……另有 {len(report.errors) - 200} 处错误", err=True)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)
