"""Tracking codes: at least 80 random bits, forgiving to type, kept only as a keyed hash, and
looked up so that a guess learns nothing (not even how near it came)."""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from sunshine.extensions import db
from sunshine.tracked import keys, tracking
from tests.tracked.conftest import Parcel

PEPPER = "a-configured-pepper-for-the-kernel-tests-0123"
GROUPED = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def _file(code: str) -> Parcel:
    parcel = Parcel(code_hash=tracking.code_hash(code))
    db.session.add(parcel)
    db.session.commit()
    return parcel


def test_a_code_carries_at_least_80_random_bits() -> None:
    assert len(set(tracking.ALPHABET)) == len(tracking.ALPHABET) == 32
    assert len(tracking.ALPHABET) ** tracking.CODE_LENGTH >= 2 ** 80
    codes = [tracking.new_code() for _ in range(2000)]
    assert all(GROUPED.fullmatch(code) for code in codes)
    assert len(set(codes)) == len(codes)
    # Every symbol turns up in every position: none is fixed or left out.
    for position in range(tracking.CODE_LENGTH):
        assert {c.replace("-", "")[position] for c in codes} == set(tracking.ALPHABET)


def test_a_seeded_code_is_the_same_for_the_same_seed() -> None:
    first = tracking.seeded_code(random.Random(5))
    assert first == tracking.seeded_code(random.Random(5)) != tracking.seeded_code(
        random.Random(6))
    assert GROUPED.fullmatch(first)


def test_typing_is_forgiving_and_junk_is_no_code() -> None:
    raw = "K7QFM2XD9TRA3HP0"
    for typed in ("K7QF-M2XD-9TRA-3HP0", "k7qf m2xd 9tra 3hpo", f" {raw} ",
                  "K7QF_M2XD\u30009TRA\t3HPO"):
        assert tracking.normalise_code(typed) == raw, typed
    assert tracking.normalise_code("K7QF-M2XD-9TRA-3HPI") == "K7QFM2XD9TRA3HP1"
    for junk in ("", "K7QF", raw + "0", "K7QF-M2XD-9TRA-3HP!", "ÄÖÜ" * 6, "-" * 65 + raw):
        assert tracking.normalise_code(junk) is None, junk
        assert tracking.code_hash(junk) is None, junk
    assert tracking.normalise_code(None) is None  # type: ignore[arg-type]


def test_the_code_is_kept_only_as_its_keyed_hash(app: Flask) -> None:
    app.config["TRACKING_CODE_PEPPER"] = PEPPER
    code = tracking.new_code()
    raw = tracking.normalise_code(code)
    assert raw is not None
    digest = tracking.code_hash(code)
    assert digest == hmac.new(PEPPER.encode(), raw.encode(), hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(raw.encode()).hexdigest()  # keyed, not a plain hash
    app.config["TRACKING_CODE_PEPPER"] = PEPPER + "-rotated"
    assert tracking.code_hash(code) != digest


def test_without_a_configured_pepper_it_is_derived_from_the_secret_key(app: Flask) -> None:
    app.config["TRACKING_CODE_PEPPER"] = None
    code = tracking.new_code()
    derived = tracking.code_hash(code)
    assert keys.pepper() == keys.derive(b"tracking code pepper")
    app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough-42"
    assert tracking.code_hash(code) != derived


def test_the_lookup_finds_the_code_however_it_is_typed(parcels: type[Parcel]) -> None:
    code = tracking.new_code()
    parcel = _file(code)
    _file(tracking.new_code())
    raw = code.replace("-", "")
    for typed in (code, code.lower(), raw, f"  {raw[:8]} {raw[8:]} "):
        assert tracking.find(parcels, typed) == parcel, typed


def test_a_wrong_an_unknown_and_a_junk_code_cost_the_same_and_find_nothing(
        app: Flask, parcels: type[Parcel], monkeypatch: pytest.MonkeyPatch) -> None:
    code = tracking.new_code()
    _file(code)
    raw = code.replace("-", "")
    near = ("1" if raw[-1] != "1" else "2") + raw[1:]
    hashed: list[str] = []
    statements: list[str] = []
    real_hash = tracking.keyed_hash

    def counted_hash(text: str) -> str:
        hashed.append(text)
        return real_hash(text)

    def count(*args: Any) -> None:
        statements.append(args[2])

    monkeypatch.setattr(tracking, "keyed_hash", counted_hash)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for guess in (near, tracking.new_code(), "", "x" * 64, "<script>"):
            hashed.clear()
            statements.clear()
            assert tracking.find(parcels, guess) is None, guess
            assert len(hashed) == 1 and len(statements) == 1, guess
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_near_miss_is_as_far_from_the_stored_hash_as_any_guess(app: Flask) -> None:
    """The database compares whole keyed hashes: a code right in 15 of 16 symbols has a hash
    no nearer the stored one than a random guess, so no timing can tell it was close."""
    app.config["TRACKING_CODE_PEPPER"] = PEPPER
    raw = "K7QFM2XD9TRA3HPW"
    stored = tracking.code_hash(raw)
    assert stored is not None
    for position in range(tracking.CODE_LENGTH):
        other = "0" if raw[position] != "0" else "1"
        near = tracking.code_hash(raw[:position] + other + raw[position + 1:])
        assert near is not None
        shared = len(os.path.commonprefix([stored, near]))
        assert shared < 4, (position, shared)
