"""``sunshine requests overdue``: the clock's sweep, run from cron: flag requests past their
answer deadline and close those whose 补正 the applicant left unanswered."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from sunshine.requests import files, sweep

requests_cli = AppGroup("requests", help="依申请公开")


@requests_cli.command("overdue")
def overdue_command() -> None:
    """Flag running requests past their answer deadline and close unanswered 补正 requests
    past their period (idempotent)."""
    overdue, lapsed = sweep.run()
    click.echo(f"新标记逾期申请 {overdue} 件；逾期未补正、视为放弃 {lapsed} 件")


@requests_cli.command("prune-files")
def prune_files_command() -> None:
    """Remove stored answer files that no answer names any longer (older than an hour)."""
    click.echo(f"删除了 {files.prune()} 个不再使用的答复附件文件")
