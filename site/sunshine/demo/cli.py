"""``sunshine demo``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from sunshine.demo.services import NotEmpty, build_demo, database_has_data
from sunshine.regions import codes
from sunshine.regions.province import province_code


def _check_province(wanted: str | None) -> None:
    """The demo builds the province the site serves: ``--province`` may only confirm it."""
    if wanted is None:
        return
    try:
        code = codes.normalise(wanted)
        level = codes.level_of(code)
    except codes.InvalidCode:
        level = 0
    if level != 1:
        raise click.BadParameter(f"{wanted[:20]} 不是省级区划代码（如 530000000000）",
                                 param_hint="--province")
    if code != province_code():
        click.echo(f"--province {code} 与本站配置的省份 {province_code()} 不一致。"
                   f"网站只显示配置的省份：请先设置 SUNSHINE_PROVINCE_CODE={code}"
                   "（或 instance/config.py 中的 PROVINCE_CODE），再生成演示数据。", err=True)
        sys.exit(2)


@click.command("demo")
@click.option("--province", metavar="CODE",
              help="省级区划代码，须与配置的 PROVINCE_CODE 相同（默认即配置的省份）")
@click.option("--households", default=2000, show_default=True, type=click.IntRange(0, 2_000_000),
              help="生成的建档立卡户数（合成数据）")
@click.option("--seed", default=2020, show_default=True, type=int, help="随机种子")
@click.option("--if-empty", is_flag=True, help="数据库已有数据时什么也不做（make run 使用）")
@with_appcontext
def demo_command(province: str | None, households: int, seed: int, if_empty: bool) -> None:
    """Fill an empty database with the deterministic demo province (synthetic data)."""
    _check_province(province)
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
               f"staff-<县级区划代码>（如 staff-{ctx.counties[0]}）")
    if password:
        click.echo("密码：SUNSHINE_DEMO_PASSWORD 所设的值")
    else:
        click.echo(f"所有演示账号的密码（只显示这一次）：{ctx.password}")
