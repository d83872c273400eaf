"""Accounts: staff, oversight, editors, donors and sellers; login, roles and region scope."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register login, logout, registration and password change, and ``sunshine user``."""
    from sunshine.accounts import cli, models, views  # noqa: F401  (models: tables in metadata)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.user_cli)
