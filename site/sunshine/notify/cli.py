"""``sunshine mail send [--watch]``: deliver the outbox."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from sunshine.database import utcnow
from sunshine.extensions import db


@click.group("mail")
def mail_cli() -> None:
    """邮件发件箱 (the mail outbox)."""


@mail_cli.command("send")
@click.option("--watch", is_flag=True, help="发完后继续等待新邮件（按 Ctrl+C 停止）。")
@with_appcontext
def send_command(watch: bool) -> None:
    """Queue what came due (the daily digests, the features' mail jobs), deliver the messages
    that are due, then exit; with --watch, keep going every MAIL_WATCH_SECONDS."""
    from sunshine.notify import digests, sender
    from sunshine.registry import registry

    while True:
        queued = digests.queue_due_digests()
        for job in registry().mail_jobs.values():
            queued += job(utcnow())
            db.session.commit()
        result = sender.deliver_due()
        db.session.remove()
        if queued or result.sent or result.retried or result.failed or not watch:
            click.echo((f"新排入 {queued} 封（汇总、提醒）；" if queued else "")
                       + result.summary())
        if not watch:
            return
        try:
            time.sleep(float(current_app.config["MAIL_WATCH_SECONDS"]))
        except KeyboardInterrupt:
            return
