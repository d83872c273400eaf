"""Every query argument of every public GET page, with bad values: never a 5xx.

The arguments are not listed by hand: a crawl of every public rule (the URLs of
``tests/public_routes.py``, so a new rule fails there until it gets a filler) records which
query arguments each view reads (``request.args`` is a recording dictionary here), then
each of them is sent huge, negative, non-numeric and out-of-range values, one at a time, on top
of the page's own arguments. Path numbers too: an ``<int:...>`` part with thousands of digits.

A refused value is a 4xx or the page as if the value were not given; an export must refuse
before its first byte, so a body that fails while it is sent counts as a 5xx here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import ImmutableMultiDict

from sunshine.extensions import db
from sunshine.web import Request, per_page_arg, whole_number
from tests.public_routes import make_site, public_rules, public_urls

HUGE = "9" * 4000
#: Bad values for any argument: huge, negative, non-numeric, out of range, odd forms of numbers.
BAD_VALUES = (HUGE, "-" + HUGE, "-1", "0", "99999999999999999999", "abc", "１２", "1e999",
              "NaN", "0x10", "1.5", " 7", "000000000000", "999999999999", "990000000000",
              "450000000001", "12345678901234567890123", "\x00", "%FF")
#: Arguments no view reads, sent anyway: the page must ignore them.
UNREAD = ("zzz",)
#: Pages that read some arguments only when another has a certain value: visited that way too.
VARIANTS = {"funds.export": [("detail", "spending"), ("fund", "1")]}


class RecordingArgs(ImmutableMultiDict[str, str]):
    """Query arguments that remember the names a view asked for."""

    asked: ClassVar[set[str]] = set()

    def __getitem__(self, key: str) -> str:
        RecordingArgs.asked.add(key)
        return super().__getitem__(key)

    def getlist(self, key: str, type: Any = None) -> list[Any]:  # type: ignore[override]
        RecordingArgs.asked.add(key)
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            RecordingArgs.asked.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingArgs


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_site(tmp_path_factory.mktemp("arguments"))
    app.request_class = RecordingRequest
    yield app
    with app.app_context():
        db.engine.dispose()


def _get(app: Flask, path: str, query: list[tuple[str, str]]) -> str | None:
    """A problem with the answer (a 5xx, or an error while its body is sent), else None."""
    client = app.test_client()
    try:
        response = client.get(path, query_string=query)
        response.get_data()
        response.close()
    except (Exception, SQLAlchemyError) as exc:  # testing: errors propagate instead of a 500
        return f"raised {type(exc).__name__}: {str(exc)[:120]}"
    if response.status_code >= 500:
        return f"answered {response.status_code}"
    return None


def _arguments(app: Flask) -> dict[str, tuple[str, list[tuple[str, str]], set[str]]]:
    """Per endpoint: one of its URLs (path and query) and every argument its views read."""
    urls, unfilled = public_urls(app)
    assert not unfilled, "rules without a filler in tests/public_routes.py: " + ", ".join(unfilled)
    found: dict[str, tuple[str, list[tuple[str, str]], set[str]]] = {}
    # A page visited with its variant's arguments is swept as a page of its own.
    variants = [(f"{endpoint} ({', '.join(k for k, _ in VARIANTS[endpoint])})",
                 url + ("&" if "?" in url else "?") + urlencode(VARIANTS[endpoint]))
                for endpoint, url in urls if endpoint in VARIANTS]
    for key, url in urls + variants:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        RecordingArgs.asked.clear()
        problem = _get(app, parts.path, query)
        assert problem is None, f"{url}: {problem} with its own arguments"
        path, own, asked = found.setdefault(key, (parts.path, query, set()))
        asked.update(RecordingArgs.asked)
    return found


def test_every_query_argument_survives_bad_values(site: Flask) -> None:
    found = _arguments(site)
    read = sorted({name for _, _, asked in found.values() for name in asked})
    # The crawl must have seen the arguments that every list page reads.
    assert {"page", "region", "year", "per_page"} <= set(read), read
    problems = []
    tried = 0
    for endpoint, (path, own, asked) in sorted(found.items()):
        for name in sorted(asked) + list(UNREAD):
            others = [(key, value) for key, value in own if key != name]
            for value in BAD_VALUES:
                tried += 1
                problem = _get(site, path, [*others, (name, value)])
                if problem:
                    problems.append(f"{endpoint} {path}?{name}={value[:24]!r}: {problem}")
    assert tried > 500
    assert not problems, f"{len(problems)} of {tried} answers failed:\n" + "\n".join(problems)


@pytest.mark.parametrize("number", [HUGE, "99999999999999999999", "9223372036854775808"],
                         ids=["thousands of digits", "20 digits", "2**63"])
def test_every_number_in_a_path_survives_a_huge_value(site: Flask, number: str) -> None:
    problems = []
    tried = 0
    for rule in public_rules(site):
        if "<int:" not in rule.rule:
            continue
        # Numbers huge; any other part a plausible word (photo sizes are "thumb").
        path = re.sub(r"<[^>]+>", "thumb", re.sub(r"<int:\w+>", number, rule.rule))
        tried += 1
        problem = _get(site, path, [])
        if problem:
            problems.append(f"{rule.endpoint} {rule.rule}: {problem}")
    assert tried > 10
    assert not problems, "\n".join(problems)


def test_the_one_number_parser(site: Flask) -> None:
    assert whole_number("12", 0) == 12
    for bad in ("", "0", "-3", "1e3", "²", "１２", "9" * 4000, "100000", None, 12):
        assert whole_number(bad, 7) == 7, bad
    assert whole_number("10000000000", 0, highest=10**12) == 10**10
    for query, expected in (("", 50), ("20", 20), ("0", 1), ("101", 100), ("9" * 4000, 100),
                            ("-5", 50), ("abc", 50)):
        with site.test_request_context(f"/?per_page={query}"):
            assert per_page_arg(50) == expected, query
