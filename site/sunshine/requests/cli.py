"""``sunshine requests overdue``: flag requests past their answer deadline (run from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from sunshine.requests.handling import mark_overdue

requests_cli = AppGroup("requests", help="依申请公开")


@requests_cli.command("overdue")
def overdue_command() -> None:
    """Flag running requests past their answer deadline (idempotent)."""
    click.echo(f"新标记逾期申请 {mark_overdue()} 件")
