"""Bulk paths to the database: many rows in, many rows out, without the ORM.

Inserts go through the driver's own executemany on SQLite (SQLAlchemy's ``exec_driver_sql``
costs ~5 % over raw sqlite3) and COPY on PostgreSQL (executemany is 13× slower there). Reads
stream tuples straight from the driver cursor (a server-side cursor on PostgreSQL).
All of it runs on the session's connection, inside the caller's transaction.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sunshine.extensions import db

log = logging.getLogger(__name__)


def dialect() -> str:
    return db.session.get_bind().dialect.name


def _driver_connection() -> Any:
    return db.session.connection().connection.dbapi_connection


def sql(text: str) -> str:
    """Write ``?`` placeholders; on PostgreSQL they become ``%s``."""
    return text.replace("?", "%s") if dialect() == "postgresql" else text


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                batch: int = 20_000) -> int:
    """Insert tuples in the order of ``columns``; returns how many went in. SQLite takes
    ``batch`` rows a call (0: all of them in one call, straight from the iterator)."""
    count = 0
    if dialect() == "postgresql":
        cursor = _driver_connection().cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    statement = (f"INSERT INTO {table} ({', '.join(columns)}) "
                 f"VALUES ({', '.join('?' * len(columns))})")
    cursor = _driver_connection().cursor()
    iterator = iter(rows)
    if batch <= 0:  # the driver takes the rows as they come: no list of them is made
        cursor.executemany(statement, iterator)
        return max(cursor.rowcount, 0)
    while chunk := list(itertools.islice(iterator, batch)):
        cursor.executemany(statement, chunk)
        count += len(chunk)
    return count


def execute_many(statement: str, rows: list[Sequence[Any]]) -> None:
    """One statement (``?`` placeholders) for each row, on the driver cursor."""
    if rows:
        _driver_connection().cursor().executemany(sql(statement), rows)


def stream(statement: str, params: Sequence[Any] = (),
           batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
    """Rows of a SELECT (``?`` placeholders) as plain tuples, a batch at a time."""
    connection = _driver_connection()
    if dialect() == "postgresql":
        cursor = connection.cursor(name="sunshine_stream")
        cursor.itersize = batch
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql(statement), tuple(params))
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def execute_raw(statement: str, params: Sequence[Any] = ()) -> None:
    """One statement (``?`` placeholders) on the driver cursor, in the current transaction."""
    cursor = _driver_connection().cursor()
    try:
        cursor.execute(sql(statement), tuple(params))
    finally:
        cursor.close()


def ensure_transaction() -> None:
    """Open the transaction now. Python's sqlite3 only opens one before INSERT/UPDATE/DELETE,
    and a SAVEPOINT outside a transaction would start (and its RELEASE commit) one of its own."""
    connection = _driver_connection()
    if dialect() == "sqlite" and not connection.in_transaction:
        connection.execute("BEGIN")


def maintain(*statements: str) -> None:
    """On PostgreSQL, commit, then run maintenance statements (``VACUUM``, ``ANALYZE``) on a
    connection in autocommit mode: ``VACUUM`` cannot run inside a transaction."""
    if dialect() != "postgresql":
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


@contextmanager
def no_gc() -> Iterator[None]:
    """Python's cycle collector off during bulk work (an import, disclosure control). Rows are
    lists and tuples without cycles, but the collector still walks every live container each
    time enough of them have been made: with batches of 20,000 rows alive, that was half of the
    parse time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def big_cache(megabytes: int = 256) -> Iterator[None]:
    """A larger SQLite page cache for this connection while a bulk load runs (the indexes of
    millions of rows then stay in memory); back to the default afterwards."""
    if dialect() != "sqlite":
        yield
        return
    connection = _driver_connection()
    previous = connection.execute("PRAGMA cache_size").fetchone()[0]
    connection.execute(f"PRAGMA cache_size=-{megabytes * 1024}")
    try:
        yield
    finally:
        connection.execute(f"PRAGMA cache_size={previous}")


# --- PostgreSQL: binary transfers -----------------------------------------------------------------

def fetch_int64(connection: Any, statement: str, params: Sequence[Any], width: int) -> Any:
    """The rows of a SELECT of ``width`` integer columns (``?`` placeholders, no NULLs) from a
    psycopg connection, as an n × ``width`` int64 numpy array, in one round trip: the server
    packs every row into one ``bytea`` (``int8send``: 8 bytes big-endian a value;
    ``string_agg`` keeps each row's values together), sent in binary and read by numpy, with
    no Python object per row. A cursor makes two ints and a tuple a row, and a COPY one
    message a row: either is most of a scan's time. (One value holds up to 1 GB: 67 M rows
    of two columns.)
    """
    import numpy as np

    names = ", ".join(f"c{i}" for i in range(width))
    packed = " || ".join(f"int8send(CAST(c{i} AS BIGINT))" for i in range(width))
    query = (f"SELECT string_agg({packed}, ''::bytea) "
             f"FROM ({statement.replace('?', '%s')}) AS s({names})")
    with connection.cursor(binary=True) as cursor:
        cursor.execute(query, tuple(params))
        row = cursor.fetchone()
    data = b"" if row is None or row[0] is None else row[0]
    return np.frombuffer(data, dtype=">i8").astype(np.int64).reshape(-1, width)


def insert_rows_binary(table: str, columns: Sequence[str], types: Sequence[str],
                       rows: Iterable[Sequence[Any]]) -> int:
    """``insert_rows``, with COPY in binary format on PostgreSQL (``types``: the columns'
    PostgreSQL types, e.g. ``bytea``): no text escaping of binary columns on either side.
    On SQLite, the same as ``insert_rows``."""
    if dialect() != "postgresql":
        return insert_rows(table, columns, rows)
    count = 0
    cursor = _driver_connection().cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# --- SQLite: a large load in key order, half of it built in another process -----------------------

#: Below this many rows ``insert_in_key_order`` inserts in this process only.
HALVES_FROM = 1_000_000


def insert_in_key_order(table: str, columns: Sequence[str], values: Sequence[Any]) -> None:
    """Rows already in the order of the table's key, into a table that holds none of their
    keys yet (a first load of ``member_id``); ``values`` are the columns, as int64 numpy arrays.

    SQLite writes one table from one connection, so a large load on a file database is split:
    another process inserts the second half into a table of the same definition in a file of
    its own, while this one inserts the first half; that file is then attached and its rows
    copied over in one ``INSERT … SELECT``, which SQLite does without decoding them (its
    transfer optimisation; the keys come after all of this half's, so the B-tree is appended
    to). Both cores work instead of one: about a third less time on 5 M rows. The file is detached,
    and removed, when the connection goes back to the pool (not possible inside the import's
    transaction).
    """
    rows = len(values[0]) if values else 0
    path = sqlite_file()
    if path is None or rows < HALVES_FROM or (os.cpu_count() or 1) < 2:
        insert_rows(table, columns, zip(*(v.tolist() for v in values), strict=True), batch=0)
        return
    import multiprocessing
    import shutil

    connection = _driver_connection()
    definition = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                                    "name = ?", (table,)).fetchone()[0]
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    folder = scratch_folder("sunshine-half-")
    part = folder / "half.sqlite"
    half = rows // 2
    names = ", ".join(columns)
    statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    process = multiprocessing.get_context("fork").Process(
        target=_fill, args=(str(part), page_size, definition, statement,
                            [v[half:] for v in values]), daemon=True)
    process.start()
    try:
        insert_rows(table, columns, zip(*(v[:half].tolist() for v in values), strict=True),
                    batch=0)
        process.join()
        if process.exitcode != 0:  # (/dev/shm full, say): the second half is written here
            log.warning("the process loading %s failed (%s); loading here", table,
                        process.exitcode)
            insert_rows(table, columns, zip(*(v[half:].tolist() for v in values), strict=True),
                        batch=0)
            return
        schema = f"sunshine_half_{folder.name.rsplit('-', 1)[-1]}"
        _detach_when_returned()
        connection.execute(f"ATTACH DATABASE ? AS {schema}", (str(part),))
        _ATTACHED[schema] = folder
        connection.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} "
                           f"FROM {schema}.{table}")
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        if folder not in _ATTACHED.values():
            shutil.rmtree(folder, ignore_errors=True)


def sqlite_file() -> str | None:
    """The engine's SQLite database file; None on PostgreSQL or in memory."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


def scratch_folder(prefix: str) -> Path:
    """A new folder for throwaway files: in memory (/dev/shm) where there is one."""
    import tempfile

    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix=prefix, dir=shm if shm.is_dir() else None))


def _fill(path: str, page_size: int, definition: str, statement: str, values: list[Any]) -> None:
    """In the forked process: a throwaway file (no journal, no syncs), the rows in it."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (f"page_size={int(page_size)}", "journal_mode=OFF", "synchronous=OFF",
                   "cache_size=-262144"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(definition)
    connection.execute("BEGIN")
    connection.executemany(statement, zip(*(v.tolist() for v in values), strict=True))
    connection.execute("COMMIT")
    connection.close()


#: Files attached by ``insert_in_key_order``, by schema name, until their connection is back.
_ATTACHED: dict[str, Path] = {}


def _detach_when_returned() -> None:
    from sqlalchemy import event

    if not event.contains(db.engine, "checkin", _detach):
        event.listen(db.engine, "checkin", _detach)


def _detach(dbapi_connection: Any, _record: Any) -> None:
    """When a connection goes back to the pool (its transaction over): detach and remove the
    files ``insert_in_key_order`` attached to it."""
    import shutil

    try:
        attached = [row[1] for row in dbapi_connection.execute("PRAGMA database_list")]
    except Exception:  # noqa: BLE001  (a connection being discarded)
        return
    for schema in attached:
        folder = _ATTACHED.pop(schema, None)
        if folder is not None:
            dbapi_connection.execute(f"DETACH DATABASE {schema}")
            shutil.rmtree(folder, ignore_errors=True)
