"""Accounts: staff, oversight, editors, donors and sellers; login, roles and region scope."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register login, logout, registration and password change, and ``sunshine user``."""
    from sunshine.accounts import cli, models, sessions, views  # noqa: F401  (models: tables)
    from sunshine.pagecache import visitors

    app.register_blueprint(views.bp)
    visitors.identify_with(app, sessions.page_visitor)
    app.cli.add_command(cli.user_cli)
