"""Keyset pagination: "next" and "previous" carry the last row's sort key, so every page is
one index range however deep (an OFFSET would walk all the rows before it). Exports walk
every row the same way, a batch at a time. ``paginate_rows`` pages a select of columns
(plain rows, no ORM object) with page numbers, like ``db.paginate``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import BindParameter, Select, bindparam, func, tuple_
from sqlalchemy import select as sa_select

from sunshine.extensions import db

T = TypeVar("T")


class PageNumbers:
    """What the pagination macro reads of a page by number (as ``db.paginate``'s page does),
    for a page class that has ``page``, ``per_page`` and ``total``. ``least_pages`` is what
    ``pages`` says of an empty list: ``db.paginate`` says 0; a list that shows "page 1 of 1"
    when empty says 1."""

    page: int
    per_page: int
    total: int
    least_pages: ClassVar[int] = 1

    @property
    def pages(self) -> int:
        return max(-(-self.total // self.per_page), self.least_pages)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass
class KeysetPage:
    items: list[Any]
    total: int
    number: int  # the page number, for display (carried along in the links)
    per_page: int
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class NumberedPage(PageNumbers, Generic[T]):
    """A page of a list by number, with what the pagination macro reads (as ``db.paginate``'s
    page), made of plain values a worker may remember."""

    items: list[T]
    page: int
    per_page: int
    total: int
    least_pages: ClassVar[int] = 0


class Keyset:
    """The statements of a keyset-paged list, made from its select (with its filters' values
    as bound parameters) once per process or combination of filters: building a statement
    costs a list page more than running it. The first page (or a typed-in ``?page=``), the
    page after a cursor and the page before one; the limit, offset and cursor are
    parameters."""

    def __init__(self, query: Select[Any], key: Any, id_column: Any) -> None:
        limit: BindParameter[int] = bindparam("page_limit")
        cursor = tuple_(bindparam("page_key", type_=key.type),
                        bindparam("page_id", type_=id_column.type))
        newest = (key.desc(), id_column.desc())
        self.first = query.order_by(*newest).limit(limit).offset(bindparam("page_offset"))
        self.after = query.where(tuple_(key, id_column) < cursor).order_by(*newest).limit(limit)
        self.before = query.where(tuple_(key, id_column) > cursor) \
            .order_by(key.asc(), id_column.asc()).limit(limit)


def keyset(query: Select[Any] | Keyset, key: Any, id_column: Any,
           cursor_of: Callable[[Any], str], parse: Callable[[str], Any], after: str | None,
           before: str | None, number: int, per_page: int, total: int,
           row: Callable[..., Any] | None = None,
           params: dict[str, Any] | None = None) -> KeysetPage:
    """Newest first by (key, id). ``after``/``before`` are cursors from a previous page;
    ``number`` without a cursor falls back to OFFSET (a typed-in ``?page=``). The items are
    the select's one entity, or with ``row`` plain rows of its columns, each made into
    ``row(*columns)`` (a list page's columns cost a tenth of its ORM objects). A hot list
    passes its ``Keyset``, built once, and its filters' ``params``."""
    statements = query if isinstance(query, Keyset) else Keyset(query, key, id_column)
    values = {**(params or {}), "page_limit": per_page + 1}
    reverse = False
    if after and (parsed := _parse(parse, after)) is not None:
        statement = statements.after
        values["page_key"], values["page_id"] = parsed
    elif before and (parsed := _parse(parse, before)) is not None:
        statement, reverse = statements.before, True
        values["page_key"], values["page_id"] = parsed
    else:
        statement = statements.first
        values["page_offset"] = (number - 1) * per_page if number > 1 else 0
    result = db.session.execute(statement, values)
    rows = [row(*r) for r in result] if row is not None else list(result.scalars())
    more = len(rows) > per_page
    rows = rows[:per_page]
    if reverse:
        rows.reverse()
    page = KeysetPage(rows, total, number, per_page)
    if rows:
        has_next = more if not reverse else True
        has_prev = (number > 1) if not reverse else more or number > 1
        page.next_cursor = cursor_of(rows[-1]) if has_next else None
        page.prev_cursor = cursor_of(rows[0]) if has_prev and number > 1 else None
    return page


def _parse(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text[:40])
    except (ValueError, TypeError):
        return None


def batches(query: Select[Any], key: Any, id_column: Any, size: int = 1000) -> Iterator[Any]:
    """Every row of ``query``, newest first by (key, id), ``size`` rows per query. The session
    is emptied after each batch: an export may be long."""
    last: tuple[Any, Any] | None = None
    while True:
        page = query if last is None else query.where(tuple_(key, id_column) < tuple_(*last))
        rows = list(db.session.execute(page.order_by(key.desc(), id_column.desc())
                                       .limit(size)).scalars())
        if not rows:
            return
        yield from rows
        last = (getattr(rows[-1], key.key), getattr(rows[-1], id_column.key))
        db.session.expunge_all()


def row_batches(query: Select[Any], key: Any, id_column: Any, size: int = 200) -> Iterator[Any]:
    """Like ``batches`` for a select of columns (no ORM objects: an export of thousands of rows
    reads plain tuples). The select must include ``key`` and ``id_column`` under their names.
    The default size is the rows of one streamed chunk (``export.streamed``): the first bytes
    leave after one query."""
    last: tuple[Any, Any] | None = None
    while True:
        page = query if last is None else query.where(tuple_(key, id_column) < tuple_(*last))
        rows = db.session.execute(page.order_by(key.desc(), id_column.desc()).limit(size)).all()
        if not rows:
            return
        yield from rows
        last = (getattr(rows[-1], key.key), getattr(rows[-1], id_column.key))


class RowPagination(Pagination):
    """``db.paginate`` for a select of columns: the page's rows come back as named tuples, so a
    list that shows a few columns of each row builds no ORM object (a tenth of the time)."""

    def _query_items(self) -> list[Any]:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select))

    def _query_count(self) -> int:
        sub = self._query_args["select"].order_by(None).subquery()
        return int(self._query_args["session"].execute(
            sa_select(func.count()).select_from(sub)).scalar() or 0)


def paginate_rows(query: Select[Any], page: int, per_page: int) -> RowPagination:
    """One page of a column select as rows, with the total (two statements)."""
    return RowPagination(select=query, session=db.session(), page=page, per_page=per_page,
                         error_out=False)
