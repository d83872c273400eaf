"""Plain copies of loaded records, for values a worker remembers between requests: a record's
page reads the same names from the copy as from the record, but the copy holds no session,
loads nothing lazily and is never flushed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import inspect


def copy(record: Any, *properties: str, **more: Any) -> SimpleNamespace:
    """Every column of ``record``, the named (Python) ``properties`` read from it, and
    ``more``."""
    values = {attr.key: getattr(record, attr.key)
              for attr in inspect(record).mapper.column_attrs}
    values.update({name: getattr(record, name) for name in properties})
    values.update(more)
    return SimpleNamespace(**values)
