"""CSV for spreadsheets, the one writer of every export: UTF-8 with a BOM (Excel then shows
Chinese), and no cell that a spreadsheet would run as a formula. Long lists stream
(``csv_response``), and are remembered per worker until their data change
(``remembered_csv``); small ones are built whole (``csv_text`` and ``csv_download``)."""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain, islice
from typing import NamedTuple

from flask import Flask, Response, current_app

from sunshine.httpcache import StoredPage, stored
from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope

#: A cell starting with one of these is run as a formula (or a command) by Excel, LibreOffice
#: or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading apostrophe where a spreadsheet would see a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The BOM and the header first, then one line per row, built as the rows come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in row])
        yield buffer.getvalue()


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """The whole file as text, for a small table."""
    return "".join(csv_lines(header, rows))


def csv_download(text: str, filename: str) -> Response:
    """``text`` (from ``csv_text``) as a file to save."""
    return Response(text.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def streamed(parts: Callable[[], Iterable[str]], chunk: int = 200) -> Iterator[bytes]:
    """Run ``parts`` while the response is sent. Each chunk is produced inside an application
    context of its own, pushed and popped within one step of the generator: the request's
    context (and its database session) is gone by then, and a server may resume the generator
    from another context."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def generate() -> Iterator[bytes]:
        iterator: Iterator[str] | None = None
        while True:
            with app.app_context():
                if iterator is None:
                    iterator = iter(parts())
                block = list(islice(iterator, chunk))
            if not block:
                return
            yield "".join(block).encode("utf-8")

    return generate()


def csv_response(name: str, header: list[str],
                 rows: Callable[[], Iterable[Iterable[object]]]) -> Response:
    """A generator response: nothing is held in memory beyond the current batch of rows.
    ``rows`` is called when sending starts, so that it queries in the sending context."""
    return _as_download(Response(streamed(lambda: csv_lines(header, rows())),
                                 mimetype="text/csv"), name)


def _as_download(response: Response, name: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- exports remembered per worker ---------------------------------------------------------------

#: Bytes of remembered exports per worker (a filter only makes an export smaller than the
#: province's whole list), least recently used out first.
KEPT_BYTES = 32 * 1024 * 1024
#: An export larger than this streams from the database every time, never remembered.
MAX_KEPT = 8 * 1024 * 1024
#: Rows an export reads a statement: a file is written whole before it is sent, so few
#: statements matter more than an early first byte.
BATCH = 1000


class KeptExport(NamedTuple):
    version: Hashable
    page: StoredPage  # the encoded file and its tag


class ExportStore:
    """The remembered exports of one app (one per worker) by key, at most ``budget`` bytes."""

    def __init__(self, budget: int = KEPT_BYTES) -> None:
        self.budget = budget
        self.bytes = 0
        self.exports: OrderedDict[Hashable, KeptExport] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> KeptExport | None:
        with self.lock:
            kept = self.exports.get(key)
            if kept is not None:
                self.exports.move_to_end(key)
            return kept

    def put(self, key: Hashable, kept: KeptExport) -> None:
        with self.lock:
            old = self.exports.pop(key, None)
            if old is not None:
                self.bytes -= len(old.page.body)
            self.exports[key] = kept
            self.bytes += len(kept.page.body)
            while self.bytes > self.budget and self.exports:
                _, gone = self.exports.popitem(last=False)
                self.bytes -= len(gone.page.body)


def export_store(app: Flask) -> ExportStore:
    kept = app.extensions.get("csv_exports")
    if kept is None:
        kept = app.extensions.setdefault("csv_exports", ExportStore())
    return kept


def remembered_csv(name: str, header: list[str],
                   rows: Callable[[], Iterable[Iterable[object]]], key: Hashable,
                   scopes: Sequence[Scope]) -> Response:
    """The file of ``csv_response``, written once and remembered per worker until the data of
    ``scopes`` change: a request then costs a lookup, whether the page cache is on or off.
    ``key`` names the file: the export and everything its rows depend on (filters, the
    site's address in its links). A file larger than ``MAX_KEPT`` is never remembered: what
    is written of it is sent, and the rest streams from the database."""
    at = memo.versions(scopes)  # before any row is read: never kept under a newer version
    kept_exports = export_store(current_app)
    kept = kept_exports.get(key)
    if kept is None or kept.version != at:
        lines = csv_lines(header, rows())
        blocks, whole = _written(lines)
        if not whole:
            return _as_download(Response(chain(blocks, streamed(lambda: lines)),
                                         mimetype="text/csv"), name)
        kept = KeptExport(at, stored(b"".join(blocks)))
        kept_exports.put(key, kept)
    response = Response(kept.page.body, mimetype="text/csv")
    response.set_etag(kept.page.etag)
    return _as_download(response, name)


def _written(lines: Iterator[str], chunk: int = 200) -> tuple[list[bytes], bool]:
    """``lines`` encoded a chunk at a time until they end (True) or exceed ``MAX_KEPT``
    bytes (False: the rest is still in ``lines``)."""
    blocks: list[bytes] = []
    size = 0
    while size <= MAX_KEPT:
        block = "".join(islice(lines, chunk)).encode("utf-8")
        if not block:
            return blocks, True
        blocks.append(block)
        size += len(block)
    return blocks, False
