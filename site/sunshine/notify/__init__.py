"""Follow and be told: the mail outbox, subscriptions without an account, and the small API
through which features announce what happened (``events.announce``) or tell one person
(``outbox.tell``), in their own transactions. Knows no feature."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the subscription pages and ``sunshine mail``."""
    from sunshine.notify import cli, models  # noqa: F401  (models: the tables)

    app.cli.add_command(cli.mail_cli)
