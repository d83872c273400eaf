"""``sunshine backup FILE`` and ``sunshine restore FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from sunshine.ops import backup as service


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent copy of the database and uploads to FILE (safe while serving)."""
    try:
        manifest = service.backup(file)
    except service.BackupError as exc:
        click.echo(f"备份失败：{exc}", err=True)
        sys.exit(1)
    click.echo(f"已备份到 {file}（{manifest['dialect']}，{manifest['created_at']}）")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Bring a backup back into an empty instance."""
    try:
        manifest = service.restore(file)
    except service.BackupError as exc:
        click.echo(f"恢复失败：{exc}", err=True)
        sys.exit(1)
    click.echo(f"已从 {file} 恢复（备份于 {manifest['created_at']}）")
