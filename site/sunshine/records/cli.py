"""``sunshine verify``: check the hash chain of the public record."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from sunshine.records.ledger import verify


@click.command("verify")
@with_appcontext
def verify_command() -> None:
    """Recompute the public record's hash chain and compare every public record (funds,
    projects and the rest) with its newest entry; exit 1 naming the first broken entry."""
    report = verify()
    if report.ok:
        click.echo(f"公开记录完好：{report.entries} 条记录，{report.records} 个公开对象，"
                   f"链头 {report.head_hash}")
        return
    first = report.first
    assert first is not None
    click.echo(f"公开记录被改动：{first.message}", err=True)
    for problem in report.problems[:20]:
        if problem is not first:
            click.echo(f"  另：{problem.message}", err=True)
    if len(report.problems) > 21:
        click.echo(f"  ……共 {len(report.problems)} 处问题", err=True)
    sys.exit(1)
