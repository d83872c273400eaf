"""The hash chain on its own: appending in order, reading a record's history with its
differences, and verify() finding a chain that was edited behind the site's back. Also run on
PostgreSQL (--postgres)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select, text

from sunshine.extensions import db
from sunshine.records import ledger
from sunshine.records.models import LedgerEntry

pytestmark = pytest.mark.postgres

AT = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)


def publish(record_id: int, version: int, action: str = "publish", **data: object) -> None:
    ledger.append(ledger.Pending("sample", record_id, version, action, data,
                                 "更正错字" if action == "correct" else ""), AT)
    db.session.commit()


def test_each_hash_covers_the_one_before_and_the_canonical_payload(app: Flask) -> None:
    publish(1, 1, name="示范村道", amount="100.00")
    publish(2, 1, name="饮水工程", amount="5.00")
    first, second = db.session.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars()
    assert first.prev_hash == ledger.GENESIS and second.prev_hash == first.hash
    assert second.hash == ledger.chain_hash(first.hash, second.payload)
    assert json.loads(first.payload) == {"record": "sample", "id": 1, "version": 1,
                                         "action": "publish", "reason": "",
                                         "at": "2024-06-01T08:30:00Z",
                                         "data": {"amount": "100.00", "name": "示范村道"}}
    assert ledger.canonical(json.loads(first.payload)) == first.payload
    assert ledger.head() == (2, second.hash)
    report = ledger.verify()
    assert report.ok and report.entries == 2 and report.head_hash == second.hash


def test_history_lists_versions_with_what_changed(app: Flask) -> None:
    publish(1, 1, name="示范村道", amount="100.00")
    publish(1, 2, "correct", name="示范村道", amount="120.00")
    versions = ledger.history("sample", 1)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].changes == []
    assert versions[1].changes == [("amount", "100.00", "120.00")]
    assert versions[1].reason == "更正错字" and versions[1].action_label == "更正"


def test_changes_counts_drafts_too(app: Flask) -> None:
    assert ledger.changes() == 0
    ledger.touch()
    db.session.commit()
    publish(1, 1, name="示范村道")
    assert ledger.changes() == 2 and ledger.head()[0] == 1


def test_entries_refuse_changes_and_deletion(app: Flask) -> None:
    publish(1, 1, name="示范村道")
    for statement in ("UPDATE ledger_entry SET payload = 'x' WHERE seq = 1",
                      "DELETE FROM ledger_entry"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_verify_names_the_first_edited_entry(app: Flask) -> None:
    for n in range(1, 4):
        publish(n, 1, name=f"项目{n}", amount="300000.00")
    # Someone with full power over the database drops the protection and edits an entry.
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER ledger_entry_no_update"))
    else:
        db.session.execute(text("DROP TRIGGER ledger_entry_no_change ON ledger_entry"))
    db.session.execute(text("UPDATE ledger_entry SET payload = REPLACE(payload, '300000.00', "
                            "'3000000.00') WHERE seq = 2"))
    db.session.commit()
    report = ledger.verify()
    assert not report.ok and report.first is not None and report.first.seq == 2
    assert "哈希不符" in report.first.message
