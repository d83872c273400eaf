"""CSV for spreadsheets, the one writer of every export: UTF-8 with a BOM (Excel then shows
Chinese), and no cell that a spreadsheet would run as a formula. Long lists stream
(``csv_response``); small ones are built whole (``csv_text`` and ``csv_download``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice

from flask import Response, current_app

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
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response = Response(streamed(lambda: csv_lines(header, rows())), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-cache"
    return response
