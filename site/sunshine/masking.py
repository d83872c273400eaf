"""Masking names for public notices (CONTRACT.md: 张*明, 张*, 欧**华).

Chinese names keep their first and last character with one asterisk for each character in
between; a two-character name keeps its first (张三 → 张*). A single character gets an
asterisk too (张 → 张*), so that it looks like any two-character name rather than standing
out. Other scripts keep the first letter and hide the rest, one asterisk per letter (at least
one): "Ayşe" → "A***". The middle dot of minority names (阿依古丽·买买提) counts as a character
to hide.
"""

from __future__ import annotations

import unicodedata

MASK = "*"


def _is_han(char: str) -> bool:
    """CJK ideographs (extensions and compatibility blocks too), and private-use characters,
    which is how registers write rare characters that Unicode lacks."""
    if unicodedata.category(char) == "Co":
        return True
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH",
                                                   "CJK COMPATIBILITY IDEOGRAPH"))


def mask_name(name: str) -> str:
    """The public form of a person's name; never the name itself."""
    text = "".join((name or "").split())  # spaces carry no information but would be kept
    if not text:
        return MASK
    if _is_han(text[0]):
        if len(text) <= 2:
            return text[0] + MASK
        return text[0] + MASK * (len(text) - 2) + text[-1]
    return text[0] + MASK * max(len(text) - 1, 1)
