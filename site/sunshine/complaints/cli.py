"""``sunshine complaints overdue``: flag cases past their reply deadline (run from cron);
``sunshine complaints reseal``: encrypt the identities again with the newest key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from sunshine.complaints.handling import mark_overdue
from sunshine.complaints.services import reseal_identities
from sunshine.tracked.sealing import IdentityUnreadable

complaints_cli = AppGroup("complaints", help="投诉举报")


@complaints_cli.command("overdue")
def overdue_command() -> None:
    """Mark open cases past their reply deadline as 逾期 (idempotent)."""
    click.echo(f"新标记逾期案件 {mark_overdue()} 件")


@complaints_cli.command("reseal")
def reseal_command() -> None:
    """Encrypt every reporter identity again with the first DATA_ENCRYPTION_KEY; afterwards the
    keys listed after it may be removed."""
    try:
        count = reseal_identities()
    except IdentityUnreadable:
        raise click.ClickException("有反映人身份无法用现有密钥解开，未做任何改动；"
                                   "请检查 DATA_ENCRYPTION_KEY 是否列全了旧密钥") from None
    click.echo(f"已用最新密钥重新加密 {count} 条反映人身份")
