"""Bulk paths to the database: many rows in, many rows out, without the ORM.

Inserts go through the driver's own executemany on SQLite (SQLAlchemy's ``exec_driver_sql``
costs ~5 % over raw sqlite3) and COPY on PostgreSQL (executemany is 13× slower there). Reads
stream tuples straight from the driver cursor (a server-side cursor on PostgreSQL).
All of it runs on the session's connection, inside the caller's transaction.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sunshine.extensions import db


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


def stream(statement: str, params: Sequence[Any] = (), batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
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


# --- PostgreSQL: binary transfers (session 4) -------------------------------------------------------

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
