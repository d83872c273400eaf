"""``sunshine verify`` on the chain alone: a summary when it is whole, exit 1 naming the entry
when it is not."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from sunshine.extensions import db
from sunshine.records import ledger

pytestmark = pytest.mark.postgres


def test_verify_reports_the_head_then_the_first_broken_entry(app: Flask, runner: Any) -> None:
    for n in (1, 2):
        ledger.append(ledger.Pending("sample", n, 1, "publish", {"name": f"项目{n}"}))
    db.session.commit()
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0 and "公开记录完好：2 条记录" in result.output
    assert ledger.head()[1] in result.output
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER ledger_entry_no_update"))
    else:
        db.session.execute(text("DROP TRIGGER ledger_entry_no_change ON ledger_entry"))
    db.session.execute(text("UPDATE ledger_entry SET payload = REPLACE(payload, '项目1', '项目9')"))
    db.session.commit()
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "第 1 条" in result.output and "哈希不符" in result.output
