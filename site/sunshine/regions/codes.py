"""Pure functions on 12-digit statistical division codes (统计用区划代码).

A code is PP CC DD TTT VVV; a region's ancestors follow from its code alone.
"""

from __future__ import annotations

import re

CODE_RE = re.compile(r"[0-9]{12}\Z")

LEVEL_NAMES = {1: "省", 2: "市", 3: "县", 4: "乡镇", 5: "村"}
# Digits that identify a region at each level: province 2, city 4, county 6, town 9, village 12.
PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


class InvalidCode(ValueError):
    """The text is not a 12-digit division code."""


def normalise(code: str) -> str:
    """Accept 2/4/6/9/12-digit codes and pad them to 12 digits."""
    code = (code or "").strip()
    if not code.isascii() or not code.isdigit() or len(code) not in PREFIX_LEN.values():
        raise InvalidCode(f"区划代码应为 12 位数字：{code[:20]!r}")
    return code.ljust(12, "0")


def level_of(code: str) -> int:
    """1 province … 5 village, read from which digit groups are non-zero."""
    if not CODE_RE.match(code) or code[:2] == "00":
        raise InvalidCode(f"区划代码应为 12 位数字：{code[:20]!r}")
    if code[9:] != "000":
        return 5
    if code[6:9] != "000":
        return 4
    if code[4:6] != "00":
        return 3
    if code[2:4] != "00":
        return 2
    return 1


def clean(text: object, level: int | None = None) -> str | None:
    """``text`` when it is a well-formed code (of ``level``, if given), else None: the one
    check of a code that a visitor sent, before anything computes with it."""
    if not isinstance(text, str) or not CODE_RE.match(text):
        return None
    try:
        found = level_of(text)
    except InvalidCode:
        return None
    return text if level is None or found == level else None


def prefix(code: str) -> str:
    """The digits that a region shares with every region beneath it."""
    return code[: PREFIX_LEN[level_of(code)]]


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == 1:
        return None
    return code[: PREFIX_LEN[level - 1]].ljust(12, "0")


def ancestors_of(code: str) -> list[str]:
    """Codes from the province down to the region's parent."""
    chain: list[str] = []
    parent = parent_of(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(parent)
    return list(reversed(chain))


def subtree_bounds(code: str) -> tuple[str, str]:
    """Inclusive bounds of every code in the subtree, for index-friendly range queries.

    ``LIKE 'prefix%'`` does not use SQLite's index; ``code BETWEEN lo AND hi`` does.
    """
    head = prefix(code)
    return head.ljust(12, "0"), head.ljust(12, "9")


def in_subtree(code: str, root: str) -> bool:
    """True when ``code`` is ``root`` or lies beneath it."""
    return code.startswith(prefix(root))
