"""``sunshine complaints overdue``: flag cases past their reply deadline (run from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from sunshine.complaints.handling import mark_overdue

complaints_cli = AppGroup("complaints", help="投诉举报")


@complaints_cli.command("overdue")
def overdue_command() -> None:
    """Mark open cases past their reply deadline as 逾期 (idempotent)."""
    click.echo(f"新标记逾期案件 {mark_overdue()} 件")
