"""Every configuration key the code reads has its default in ``default_config``, so that an
operator finds each setting in one place and no two fallbacks for one key can disagree."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import sunshine
from sunshine.config import default_config

PACKAGE = Path(sunshine.__file__).parent
#: Flask's own settings that the code reads: Flask gives them their defaults.
FLASK_KEYS = {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "PREFERRED_URL_SCHEME", "TESTING", "DEBUG",
              "SERVER_NAME", "SESSION_REFRESH_EACH_REQUEST"}
#: Settings of Flask-Login and Flask-WTF that the page cache reads to speak as they do: the
#: extensions give them their defaults.
EXTENSION_KEYS = {"REMEMBER_COOKIE_NAME", "SESSION_PROTECTION", "WTF_CSRF_FIELD_NAME",
                  "WTF_CSRF_SECRET_KEY"}
#: Mapping methods whose first argument is a key.
KEYED_METHODS = {"get", "setdefault"}


def _is_config(node: ast.expr) -> bool:
    """``config``, ``app.config``, ``current_app.config``, ``self.app.config`` ..."""
    return (isinstance(node, ast.Name) and node.id == "config") or \
        (isinstance(node, ast.Attribute) and node.attr == "config")


def _reads(tree: ast.AST) -> Iterator[tuple[str, int, ast.expr | None]]:
    """(key, line, the fallback given to .get or None) for each literal key read."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and _is_config(node.value) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            yield node.slice.value, node.lineno, None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in KEYED_METHODS and _is_config(node.func.value) \
                and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            fallback = node.args[1] if len(node.args) > 1 else None
            yield node.args[0].value, node.lineno, fallback


def _all_reads() -> list[tuple[str, str, ast.expr | None]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:  # Alembic's own config object
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(PACKAGE.parent)
        found += [(key, f"{where}:{line}", fallback) for key, line, fallback in _reads(tree)]
    return found


def test_the_scan_finds_the_keys_it_should() -> None:
    keys = {key for key, _, _ in _all_reads()}
    assert {"PROVINCE_CODE", "STATS_MIN_CELL", "UPLOAD_DIR", "SECRET_KEY"} <= keys


def test_every_key_read_has_a_default() -> None:
    defaults = default_config("/instance")
    missing = [f"{key} ({where})" for key, where, _ in _all_reads()
               if key not in defaults and key not in FLASK_KEYS | EXTENSION_KEYS]
    assert missing == []


def test_a_literal_fallback_agrees_with_the_default() -> None:
    defaults = default_config("/instance")
    disagree = []
    for key, where, fallback in _all_reads():
        if fallback is None or key not in defaults:
            continue
        try:
            value = ast.literal_eval(fallback)
        except ValueError:
            continue  # an expression: the default says what it comes to
        if value != defaults[key]:
            disagree.append(f"{key} ({where}): {value!r} != {defaults[key]!r}")
    assert disagree == []
