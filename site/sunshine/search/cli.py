"""``sunshine search rebuild``, ``apply`` and ``status``."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from sunshine.database import utcnow
from sunshine.search import node

search_cli = AppGroup("search", help="站内搜索索引")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild this node's search index from the database and content/."""
    counts = node.rebuild()
    total = sum(counts.values())
    detail = "，".join(f"{k} {v}" for k, v in counts.items())
    click.echo(f"搜索索引已重建：共 {total} 条（{detail}）")


@search_cli.command("apply")
def apply_command() -> None:
    """Apply the search outbox to this node's index (what is pending, then exit), and delete
    the outbox rows every node has applied."""
    applied = node.apply_pending(wait=True)
    if applied is None:  # pragma: no cover - it waited for the lock
        raise click.ClickException("另一个进程正在应用搜索变更")
    if applied.rebuilt is not None:
        click.echo(f"本节点没有可用的索引位置，已重建：共 {sum(applied.rebuilt.values())} 条")
    else:
        click.echo(f"已应用 {applied.rows} 条变更：更新 {applied.indexed} 个文档，"
                   f"移除 {applied.removed} 个")
    pruned = node.prune()
    click.echo(f"索引位置 {applied.position}；清理已应用的变更 {pruned} 条")


@search_cli.command("status")
def status_command() -> None:
    """Show each node's lag behind the search outbox: pending rows and the oldest one's age."""
    lags = node.status()
    if not lags:
        click.echo("还没有节点应用过搜索变更（运行 sunshine search rebuild 或 apply）")
        return
    now = utcnow()
    for lag in lags:
        mark = "*" if lag.here else " "
        oldest = f"，最早一条已等 {_age(now, lag.oldest)}" if lag.oldest else ""
        click.echo(f"{mark} {lag.name}  位置 {lag.position}  待应用 {lag.pending} 条{oldest}"
                   f"  （{_age(now, lag.seen_at)}前报告）")


def _age(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} 秒"
    if seconds < 7200:
        return f"{seconds // 60} 分钟"
    if seconds < 172800:
        return f"{seconds // 3600} 小时"
    return f"{seconds // 86400} 天"
