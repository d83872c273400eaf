"""``sunshine user create``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from sunshine.accounts.models import Role
from sunshine.accounts.services import AccountError, create_user
from sunshine.extensions import db

user_cli = AppGroup("user", help="账号管理")


@user_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_code", default=None, help="所属区划代码（12 位）")
@click.option("--name", "display_name", default="", help="显示名称")
def create_command(username: str, role: str, region_code: str | None, display_name: str) -> None:
    """Create an account; the password is read from a prompt, or from stdin when piped."""
    if sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(username, password, role, region_code, display_name)
    except AccountError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"已创建账号 {user.username}"
               f"（{user.role.label}，区划 {user.region_code or '全省'}）")
