"""Streaming CSV import pieces shared by the register's importers: a fast line-numbered
reader, the header check, batches parsed in worker processes, and a batch writer that traces
database errors back to lines."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sunshine.extensions import db
from sunshine.importing import BadFile, ImportReport
from sunshine.stats import bulk

BATCH = 20_000


def logical_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each record of a UTF-8 CSV, streaming: a quoted field
    that runs over several lines is joined into one record.

    :raise BadFile: on undecodable bytes.
    """
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadFile(f"无法打开文件 {path}：{exc.strerror}") from exc
    read = [0]
    with handle:
        try:
            yield from _logical(handle, 1, read)
        except UnicodeDecodeError as exc:
            raise BadFile(f"{path} 第 {read[0] + 1} 行附近：不是 UTF-8 编码") from exc


def _logical(handle: Any, first: int, read: list[int] | None = None
             ) -> Iterator[tuple[int, str]]:
    """``logical_lines`` of an open text handle whose first line is line ``first``;
    ``read[0]`` follows the last line number read."""
    read = read if read is not None else [0]
    number = first - 1
    for line in handle:
        number += 1
        start = number
        if '"' in line:
            while line.count('"') % 2:
                more = handle.readline()
                if not more:
                    break
                number += 1
                line += more
        read[0] = number
        yield start, line


def split_line(text: str, path: Path | str, number: int) -> list[str]:
    """The fields of one record. Lines without quotes are split directly (5× faster than the
    csv module); quoted ones go through it."""
    if '"' not in text:
        return text.rstrip("\r\n").split(",")
    try:
        return next(csv.reader([text]), [])
    except csv.Error as exc:
        raise BadFile(f"{path} 第 {number} 行：{exc}") from exc


def records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a UTF-8 CSV, streaming; blank lines are skipped."""
    for number, text in logical_lines(path):
        fields = split_line(text, path, number)
        if fields == [""] or not fields:
            continue
        yield number, fields


# --- batches and pieces (checked in worker processes: ``parallel.py``) ----------------------------


class Batch:
    """Consecutive records of a file, as text: what a worker process parses.

    ``plain`` is all the records as one text when they are plain (no quotes, each ending in
    \\n): the fast checks split that at once, and the list of ``texts`` is then only made if
    something asks for it (the row checks, on a batch the fast checks doubt).
    """

    def __init__(self, numbers: Sequence[int], texts: list[str] | None = None, *,
                 plain: str | None = None) -> None:
        assert texts is not None or plain is not None
        self.numbers = numbers
        self._texts = texts
        self.plain = plain

    @property
    def texts(self) -> list[str]:
        if self._texts is None:
            assert self.plain is not None
            self._texts = [text + "\n" for text in self.plain.split("\n")[:-1]]
        return self._texts


def batches(lines: Iterator[tuple[int, str]], size: int | None = None) -> Iterator[Batch]:
    while True:
        chunk = list(itertools.islice(lines, size or BATCH))
        if not chunk:
            return
        numbers, texts = zip(*chunk, strict=True)
        yield Batch(list(numbers), list(texts))


#: Bytes a worker reads for one batch (about 10,000 lines of a county's export).
PIECE_BYTES = 1 << 20


def pieces(path: Path) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) of consecutive pieces of the file, each about
    ``PIECE_BYTES`` long and ending at a line end outside quotes: a worker decodes only its
    own pieces and merely counts the lines of the others (in C, 20× faster than reading them
    as text). Line ends are counted as ``logical_lines`` counts them (\\n, \\r\\n or \\r)."""
    number = 1
    carry = b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(PIECE_BYTES)
            data = carry + block
            if not block:
                if data:
                    yield number, data
                return
            cut = _last_record_end(data)
            piece, carry = data[:cut], data[cut:]
            if piece:
                yield number, piece
                number += _line_ends(piece)


def _last_record_end(data: bytes) -> int:
    """Just after the last \\n of ``data`` outside quotes (0 if there is none)."""
    end = data.rfind(b"\n")
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end + 1


def _line_ends(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def piece_batch(path: Path, first: int, data: bytes, after: int) -> Batch:
    """The records of a piece past line ``after``, numbered as ``logical_lines`` numbers them.

    :raise BadFile: on undecodable bytes.
    """
    if first == 1:
        data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first + _line_ends(data[:exc.start])
        raise BadFile(f"{path} 第 {line} 行附近：不是 UTF-8 编码") from exc
    if '"' in text or text.count("\r") != text.count("\r\n"):
        # Quotes or a lone \r (a line end too): read exactly.
        numbers: list[int] = []
        texts: list[str] = []
        for n, record in _logical(io.StringIO(text, newline=""), first):
            if n > after:
                numbers.append(n)
                texts.append(record)
        return Batch(numbers, texts)
    start = 0
    for _ in range(max(0, after - first + 1)):  # the header (and anything before it)
        start = text.find("\n", start) + 1 or len(text)
    first = max(first, after + 1)
    text = text[start:]
    count = text.count("\n")
    if text and not text.endswith("\n"):  # the file's last line, without its line end
        texts = [t + "\n" for t in text.split("\n")]
        texts[-1] = texts[-1][:-1]
        return Batch(range(first, first + count + 1), texts)
    return Batch(range(first, first + count), plain=text)


def header(path: Path, lines: Iterator[tuple[int, str]],
           required: set[str]) -> tuple[int, dict[str, int]]:
    """The header (the first non-blank record): its line number and each column's position;
    nothing after it is read.

    :raise BadFile: for an empty file or a missing column.
    """
    for number, text in lines:
        names = split_line(text, path, number)
        if names and names != [""]:
            break
    else:
        raise BadFile(f"{path} 第 1 行：文件是空的")
    index = {name.strip(): i for i, name in enumerate(names)}
    missing = required - set(index)
    if missing:
        raise BadFile(f"{path} 第 1 行：缺少列 {', '.join(sorted(missing))}")
    return number, index


# --- writing in batches, tracing database errors back to lines ---------------------------------


@dataclass
class BatchWriter:
    table: str
    columns: tuple[str, ...]
    report: ImportReport
    explain: Callable[[Exception], str]
    batch: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def add(self, line: int, row: tuple[Any, ...]) -> None:
        self.batch.append(row)
        self.lines.append(line)
        if len(self.batch) >= BATCH:
            self.flush()

    def add_many(self, lines: list[int], rows: list[tuple[Any, ...]]) -> None:
        self.batch.extend(rows)
        self.lines.extend(lines)
        if len(self.batch) >= BATCH:
            self.flush()

    def add_lazily(self, lines: list[int], rows: Callable[[], Iterable[tuple[Any, ...]]]
                   ) -> None:
        """Write ``rows()`` now, after what is buffered, without holding them in a list;
        they are made a second time only if the database refuses one."""
        self.flush()
        self._insert(rows, lines)

    def flush(self) -> None:
        if not self.batch:
            return
        rows, lines = self.batch, self.lines
        self.batch, self.lines = [], []
        self._insert(lambda: rows, lines)

    def _insert(self, rows: Callable[[], Iterable[tuple[Any, ...]]], lines: list[int]) -> None:
        # Even after a bad row the rows go in (and are rolled back at the end), so that the
        # report also names the rows the database refuses.
        dbapi = db.session.get_bind().dialect.dbapi
        assert dbapi is not None  # an engine in use has loaded its driver
        integrity: type[Exception] = dbapi.IntegrityError
        bulk.ensure_transaction()
        bulk.execute_raw("SAVEPOINT stats_import")
        try:
            bulk.insert_rows(self.table, self.columns, rows(), batch=0)
        except integrity:
            bulk.execute_raw("ROLLBACK TO SAVEPOINT stats_import")
            self._one_by_one(list(rows()), lines, integrity)
        bulk.execute_raw("RELEASE SAVEPOINT stats_import")

    def _one_by_one(self, rows: list[tuple[Any, ...]], lines: list[int],
                    integrity: type[Exception]) -> None:
        for line, row in zip(lines, rows, strict=True):
            bulk.execute_raw("SAVEPOINT stats_import_row")
            try:
                bulk.insert_rows(self.table, self.columns, [row], batch=1)
            except integrity as exc:
                self.report.error(line, self.explain(exc))
                bulk.execute_raw("ROLLBACK TO SAVEPOINT stats_import_row")
            bulk.execute_raw("RELEASE SAVEPOINT stats_import_row")


def constraint(exc: Exception) -> str:
    """Which kind of constraint failed: 'unique', 'foreign' or ''."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    state = getattr(exc, "sqlstate", "") or ""
    text = str(exc)
    if "UNIQUE" in name or state == "23505" or "UNIQUE" in text:
        return "unique"
    if "FOREIGNKEY" in name or state == "23503" or "FOREIGN KEY" in text:
        return "foreign"
    return ""
