"""Demo step: the articles in content/ (written for the demo, real-looking, not real)."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app

from sunshine.content.services import sync_folder
from sunshine.demo.services import DemoContext

log = logging.getLogger(__name__)


def load_articles(ctx: DemoContext) -> None:
    report = sync_folder(Path(current_app.config["CONTENT_DIR"]))
    for error in report.errors:
        log.warning("content file skipped: %s", error)
    if report.elsewhere:
        log.info("%d content files are about another province: not loaded", len(report.elsewhere))
    ctx.summary["articles"] = len(report.created) + len(report.updated)
