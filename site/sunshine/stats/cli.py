"""``sunshine stats rebuild`` and ``sunshine stats check``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from sunshine.stats import rollup

stats_cli = AppGroup("stats", help="扶贫数据（汇总表）")


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup from the register and check the totals."""
    build = rollup.rebuild_all()
    click.echo(f"已汇总 {build.regions} 个区划，{build.households} 户 {build.people} 人，"
               f"用时 {build.seconds} 秒。核对：{build.detail}")
    if not build.ok:
        sys.exit(1)


@stats_cli.command("check")
def check_command() -> None:
    """Compare the province's rollup totals with the register (non-zero exit when they differ)."""
    from flask import current_app

    from sunshine.extensions import db
    from sunshine.stats.layout import layout
    from sunshine.stats.models import Rollup
    from sunshine.stats.vocab import LAST_YEAR

    row = db.session.get(Rollup, current_app.config["PROVINCE_CODE"])
    households, people, poor, _ = rollup.register_totals()
    if row is None:
        click.echo("尚未汇总；请运行 sunshine stats rebuild", err=True)
        sys.exit(1)
    cells = rollup.unpack(row.cells)
    lay = layout()
    got = (cells[lay("reg", LAST_YEAR)], cells[lay("reg_p", LAST_YEAR)],
           cells[lay("poor", LAST_YEAR)])
    if got != (households, people, poor):
        click.echo(f"不一致：汇总 {got}，登记 {(households, people, poor)}", err=True)
        sys.exit(1)
    click.echo(f"一致：{households} 户 {people} 人，其中贫困 {poor} 户。")
