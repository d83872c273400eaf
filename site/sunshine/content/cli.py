"""``sunshine content sync``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from sunshine.content.services import sync_folder

content_cli = AppGroup("content", help="文章（content/ 文件夹）")


@content_cli.command("sync")
def sync_command() -> None:
    """Load content/news and content/policies into the database (idempotent)."""
    report = sync_folder(Path(current_app.config["CONTENT_DIR"]))
    for error in report.errors:
        click.echo(f"{error.path}:{error.line}: {error.message}", err=True)
    elsewhere = f"，其他省份的文章 {len(report.elsewhere)}（未载入）" if report.elsewhere else ""
    click.echo(f"新增 {len(report.created)}，更新 {len(report.updated)}，"
               f"撤下 {len(report.unpublished)}，未变 {report.unchanged}，"
               f"出错 {len(report.errors)}{elsewhere}")
    if report.errors:
        sys.exit(1)
