"""``sunshine search rebuild``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from sunshine.search.index import rebuild

search_cli = AppGroup("search", help="站内搜索索引")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the search index from the database and content/."""
    counts = rebuild(current_app.config["SEARCH_INDEX_DIR"])
    total = sum(counts.values())
    detail = "，".join(f"{k} {v}" for k, v in counts.items())
    click.echo(f"搜索索引已重建：共 {total} 条（{detail}）")
