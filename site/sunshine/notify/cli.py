"""``sunshine mail send [--watch]``: deliver the outbox."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from sunshine.extensions import db


@click.group("mail")
def mail_cli() -> None:
    """邮件发件箱 (the mail outbox)."""


@mail_cli.command("send")
@click.option("--watch", is_flag=True, help="发完后继续等待新邮件（按 Ctrl+C 停止）。")
@with_appcontext
def send_command(watch: bool) -> None:
    """Deliver the messages that are due, then exit; with --watch, keep going every
    MAIL_WATCH_SECONDS."""
    from sunshine.notify import sender

    while True:
        result = sender.deliver_due()
        db.session.remove()
        if result.sent or result.retried or result.failed or not watch:
            click.echo(result.summary())
        if not watch:
            return
        try:
            time.sleep(float(current_app.config["MAIL_WATCH_SECONDS"]))
        except KeyboardInterrupt:
            return
