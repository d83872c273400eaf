"""``sunshine demo``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from sunshine.demo.services import NotEmpty, build_demo, database_has_data


@click.command("demo")
@click.option("--households", default=2000, show_default=True, type=click.IntRange(0, 2_000_000),
              help="生成的建档立卡户数（合成数据）")
@click.option("--seed", default=2020, show_default=True, type=int, help="随机种子")
@click.option("--if-empty", is_flag=True, help="数据库已有数据时什么也不做（make run 使用）")
@with_appcontext
def demo_command(households: int, seed: int, if_empty: bool) -> None:
    """Fill an empty database with the deterministic demo province (synthetic data)."""
    if database_has_data():
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            return
        click.echo("数据库已有数据；演示数据只能写入空数据库。", err=True)
        sys.exit(1)
    password = current_app.config.get("DEMO_PASSWORD")
    try:
        ctx = build_demo(households=households, seed=seed, password=password)
    except NotEmpty:
        click.echo("数据库已有数据；演示数据只能写入空数据库。", err=True)
        sys.exit(1)
    click.echo("演示数据已生成（合成数据，仅供演示）：")
    for key, value in ctx.summary.items():
        click.echo(f"  {key}: {value}")
    click.echo("账号：admin（全省）、oversight（督查）、editor（编辑）、"
               "staff-<县级区划代码>（如 staff-450102000000）")
    if password:
        click.echo("密码：SUNSHINE_DEMO_PASSWORD 所设的值")
    else:
        click.echo(f"所有演示账号的密码（只显示这一次）：{ctx.password}")
