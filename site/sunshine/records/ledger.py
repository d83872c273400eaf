"""The tamper-evident public record: a SHA-256 hash chain of every published version.

Each entry's payload is the canonical JSON (sorted keys, no spaces, UTF-8) of one version of
one record, with the action (publish, update, correct, withdraw), its reason and time. Its hash
is ``sha256(prev_hash + payload)``; the first entry's ``prev_hash`` is 64 zeros. Anyone can
download the chain from /funds/ledger.json and recompute every hash (see README.md).

``verify()`` recomputes the chain and also compares every public record in the database with
its newest entry, so that a row changed behind the site's back is found too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update

from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.records.models import LedgerEntry, LedgerHead, State
from sunshine.registry import registry

log = logging.getLogger(__name__)

GENESIS = "0" * 64
ACTIONS = {"publish": "公开", "update": "进度更新", "correct": "更正", "withdraw": "撤回"}


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def timestamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(value: date | None) -> str | None:
    """A date as the public record writes it (``2024-06-01``), or None."""
    return value.isoformat() if value else None


@dataclass
class RecordType:
    """How one kind of record appears in the chain."""

    name: str
    label: str
    model: Any
    data: Callable[[Any], dict[str, Any]]  # the public fields of a row's current version
    url: Callable[[Any], str]  # the public page that shows the record


@dataclass
class Pending:
    """An entry to append: built by the services, hashed in order by ``append_many``."""

    record_type: str
    record_id: int
    version: int
    action: str
    data: dict[str, Any]
    reason: str = ""


def make_payload(item: Pending, at: datetime) -> str:
    return canonical({"record": item.record_type, "id": item.record_id, "version": item.version,
                      "action": item.action, "reason": item.reason, "at": timestamp(at),
                      "data": item.data})


def _update_head(**values: Any) -> bool:
    """Change the head row; False when there is none yet."""
    result = db.session.execute(update(LedgerHead).where(LedgerHead.id == 1).values(**values)
                                .execution_options(synchronize_session=False))
    return rowcount(result) > 0


def _lock_head(count: int) -> tuple[int, str]:
    """Take the chain's write lock and reserve ``count`` numbers; returns the last used number
    and hash. The UPDATE comes first: PostgreSQL locks the row, SQLite takes its write lock."""
    if not _update_head(seq=LedgerHead.seq + count, changes=LedgerHead.changes + 1):
        # the very first entry of a new database
        db.session.execute(insert(LedgerHead).values(id=1, seq=count, hash=GENESIS, changes=1))
    seq, head = db.session.execute(select(LedgerHead.seq, LedgerHead.hash)
                                   .where(LedgerHead.id == 1)).one()
    return seq - count, head


def append_many(items: list[Pending], at: datetime | None = None) -> list[dict[str, Any]]:
    """Append entries in order, in the caller's transaction (the caller commits).

    Callers lock their own rows first and the chain last, so concurrent writers always take
    locks in the same order.
    """
    if not items:
        return []
    at = at or utcnow()
    seq, prev = _lock_head(len(items))
    rows = []
    for item in items:
        seq += 1
        payload = make_payload(item, at)
        digest = chain_hash(prev, payload)
        rows.append({"seq": seq, "record_type": item.record_type, "record_id": item.record_id,
                     "version": item.version, "action": item.action, "payload": payload,
                     "prev_hash": prev, "hash": digest, "at": at})
        prev = digest
    db.session.execute(insert(LedgerEntry.__table__), rows)
    db.session.execute(update(LedgerHead).where(LedgerHead.id == 1).values(hash=prev)
                       .execution_options(synchronize_session=False))
    return rows


def append(item: Pending, at: datetime | None = None) -> dict[str, Any]:
    return append_many([item], at)[0]


def touch() -> None:
    """Count a change that is not in the chain (a draft), so that cached pages refresh."""
    if not _update_head(changes=LedgerHead.changes + 1):
        db.session.execute(insert(LedgerHead).values(id=1, seq=0, hash=GENESIS, changes=1))


def changes() -> int:
    """The number of writes to funds and projects so far: the version of every public page.

    Read on a connection of its own, outside the ORM: it is the one query of a cached page.
    """
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT changes FROM ledger_head WHERE id = 1").scalar() or 0


def head() -> tuple[int, str]:
    row = db.session.execute(select(LedgerHead.seq, LedgerHead.hash)
                             .where(LedgerHead.id == 1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Version:
    """One published version of a record, with what changed since the one before."""

    seq: int
    version: int
    action: str
    reason: str
    at: str
    hash: str
    data: dict[str, Any]
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def history(record_type: str, record_id: int) -> list[Version]:
    """Every entry of one record, oldest first, each with its differences from the previous."""
    rows = db.session.execute(select(LedgerEntry).where(
        LedgerEntry.record_type == record_type, LedgerEntry.record_id == record_id)
        .order_by(LedgerEntry.seq)).scalars()
    versions: list[Version] = []
    before: dict[str, Any] = {}
    for row in rows:
        payload = json.loads(row.payload)
        data = payload.get("data", {})
        changes = [(key, before.get(key), data.get(key)) for key in sorted(data)
                   if versions and before.get(key) != data.get(key)]
        versions.append(Version(row.seq, row.version, row.action, payload.get("reason", ""),
                                payload.get("at", ""), row.hash, data, changes))
        before = data
    return versions


#: The columns of an entry as the public download gives it.
_ENTRY_COLUMNS = (LedgerEntry.seq, LedgerEntry.record_type, LedgerEntry.record_id,
                  LedgerEntry.version, LedgerEntry.action, LedgerEntry.payload,
                  LedgerEntry.prev_hash, LedgerEntry.hash)


def entries_between(after: int, upto: int) -> list[Any]:
    """The entries numbered after ``after`` up to ``upto``, in order, as plain rows."""
    return list(db.session.execute(select(*_ENTRY_COLUMNS).where(
        LedgerEntry.seq > after, LedgerEntry.seq <= upto).order_by(LedgerEntry.seq)).all())


def latest_entries(limit: int, before: int | None = None) -> list[Any]:
    """The newest entries (before the one numbered ``before``), newest first, as plain rows
    with the entry's attributes and its time."""
    query = select(*_ENTRY_COLUMNS, LedgerEntry.at).order_by(LedgerEntry.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(LedgerEntry.seq < before)
    return list(db.session.execute(query).all())


def iter_entries(batch: int = 2000) -> Iterator[Any]:
    """Every entry in order as plain rows, a batch at a time (keyset), never all in memory."""
    last = 0
    while True:
        rows = db.session.execute(select(*_ENTRY_COLUMNS).where(LedgerEntry.seq > last)
                                  .order_by(LedgerEntry.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


# --- verifying --------------------------------------------------------------------------------


@dataclass
class Problem:
    seq: int | None
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    records: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The problem at the lowest entry number (a problem without an entry comes last)."""
        if not self.problems:
            return None
        return min(self.problems, key=lambda p: (p.seq is None, p.seq or 0))


def verify() -> VerifyReport:
    """Recompute the whole chain, then compare each public record with its newest entry."""
    report = VerifyReport()
    newest: dict[tuple[str, int], tuple[int, str]] = {}
    prev, expected_seq = GENESIS, 1
    for entry in iter_entries():
        report.entries += 1
        where = (f"第 {entry.seq} 条（{_label(entry.record_type)} #{entry.record_id} "
                 f"第 {entry.version} 版）")
        if entry.seq != expected_seq:
            report.problems.append(Problem(
                expected_seq, f"第 {expected_seq} 条缺失（下一条是第 {entry.seq} 条）"))
            expected_seq = entry.seq
        if entry.prev_hash != prev:
            report.problems.append(Problem(entry.seq, f"{where}：前一哈希与上一条不相符"))
        if chain_hash(entry.prev_hash, entry.payload) != entry.hash:
            report.problems.append(Problem(entry.seq, f"{where}：内容与哈希不符（记录被改动）"))
        try:
            payload = json.loads(entry.payload)
            fields_match = (payload["record"], payload["id"], payload["version"],
                            payload["action"]) == (entry.record_type, entry.record_id,
                                                   entry.version, entry.action)
            if not fields_match or canonical(payload) != entry.payload:
                report.problems.append(Problem(entry.seq, f"{where}：条目字段与内容不一致"))
            # Only a digest of each record's newest data is kept: the chain may be long.
            newest[(entry.record_type, entry.record_id)] = (entry.seq, _digest(payload["data"]))
        except (ValueError, KeyError, TypeError):
            report.problems.append(Problem(entry.seq, f"{where}：内容不是有效的 JSON"))
        prev, expected_seq = entry.hash, expected_seq + 1
    seq, head_hash = head()
    report.head_hash = prev
    if (seq, head_hash) != (expected_seq - 1, prev):
        report.problems.append(Problem(seq or None, f"链头（第 {seq} 条）与最后一条记录不符，"
                                                    "可能有记录被删除"))
    for problem in _compare_records(newest, report):
        report.problems.append(problem)
    return report


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


def _label(record_type: str) -> str:
    known = registry().record_types.get(record_type)
    return known.label if known else record_type


def _compare_records(newest: dict[tuple[str, int], tuple[int, str]],
                     report: VerifyReport) -> Iterable[Problem]:
    seen: set[tuple[str, int]] = set()
    record_types = registry().record_types
    for name, kind in record_types.items():
        model = kind.model
        query = select(model).where(model.state != State.DRAFT.value).order_by(model.id)
        for row in db.session.execute(query.execution_options(yield_per=2000)).scalars():
            report.records += 1
            key = (name, row.id)
            seen.add(key)
            if key not in newest:
                yield Problem(None, f"{kind.label} #{row.id} 是公开记录，但公开记录链中没有它")
                continue
            seq, digest = newest[key]
            live = kind.data(row)
            if _digest(live) != digest:
                entry = db.session.get(LedgerEntry, seq)
                data = json.loads(entry.payload)["data"] if entry else {}
                diff = "、".join(f"{k}：{data.get(k)!r} → {live.get(k)!r}"
                                 for k in sorted(set(live) | set(data))
                                 if live.get(k) != data.get(k))
                yield Problem(seq, f"第 {seq} 条（{kind.label} #{row.id} 第 {row.version} 版）"
                                   f"与数据库中的现行记录不符：{diff}")
    for key, (seq, _) in newest.items():
        if key not in seen and key[0] in record_types:
            yield Problem(seq, f"第 {seq} 条（{_label(key[0])} #{key[1]}）对应的记录已不在数据库中"
                               "或被改回草稿")
