"""The form limits hold for every content type on every route: a body over the form memory
limit, or with more fields than the parts limit, answers 413 in Chinese without being read or
split, before any view or the CSRF check spends anything on it."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.security.conftest import assert_chinese_page

URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def app_config() -> dict[str, Any]:
    # As in production: CSRF reads the form of every POST before any view runs.
    return {"WTF_CSRF_ENABLED": True}


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes were read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def post_body(client: FlaskClient, path: str, body: bytes, content_type: str = URLENCODED,
              chunked: bool = False) -> tuple[TestResponse, CountingStream, float]:
    stream = CountingStream(body)
    environ: dict[str, Any] = {"CONTENT_TYPE": content_type}
    if chunked:  # no Content-Length: the server says the stream ends by itself
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    started = time.perf_counter()
    response = client.post(path, input_stream=stream, environ_overrides=environ)
    return response, stream, time.perf_counter() - started


def assert_too_large(response: TestResponse) -> None:
    assert response.status_code == 413, response.status_code
    assert_chinese_page(response.get_data(as_text=True), "内容过大")


def test_a_huge_body_of_tiny_fields_is_refused_unread(app: Flask, client: FlaskClient) -> None:
    body = b"a=1&" * 2_250_000  # 9 MB, 2.25 million fields: seconds and 500 MB when parsed
    response, stream, seconds = post_body(client, "/login", body)
    assert_too_large(response)
    assert stream.bytes_read == 0
    assert seconds < 2, seconds


def test_a_body_without_length_is_read_only_up_to_the_limit(app: Flask,
                                                            client: FlaskClient) -> None:
    limit = app.config["MAX_FORM_MEMORY_SIZE"]
    response, stream, _ = post_body(client, "/login", b"a=1&" * 2_250_000, chunked=True)
    assert_too_large(response)
    assert stream.bytes_read <= limit + 1


def test_many_fields_in_a_small_body_are_refused(app: Flask, client: FlaskClient) -> None:
    parts = app.config["MAX_FORM_PARTS"]
    body = "&".join(f"f{i}=1" for i in range(parts + 1)).encode()
    assert len(body) < app.config["MAX_FORM_MEMORY_SIZE"]
    assert_too_large(post_body(client, "/login", body)[0])
    assert_too_large(post_body(client, "/register", body, chunked=True)[0])


def test_many_multipart_fields_are_refused(app: Flask, client: FlaskClient) -> None:
    parts = app.config["MAX_FORM_PARTS"]
    boundary = "b0undary"
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n1\r\n'
                   for i in range(parts + 1)) + f"--{boundary}--\r\n"
    response, _, _ = post_body(client, "/login", body.encode(),
                               f"multipart/form-data; boundary={boundary}")
    assert_too_large(response)


def test_a_form_within_the_limits_still_works(app: Flask, client: FlaskClient) -> None:
    # Refused by CSRF (400), not by size: the fields were read.
    body = "&".join(f"f{i}=1" for i in range(app.config["MAX_FORM_PARTS"] - 1)).encode()
    assert post_body(client, "/login", body)[0].status_code == 400
    assert post_body(client, "/login", body, chunked=True)[0].status_code == 400


def _fill(rule: str) -> str:
    """A concrete path for a rule: 1 for each number, a word for each other argument."""
    rule = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<[^>]+>", "x", rule)


def test_every_post_route_refuses_a_huge_form(app: Flask, client: FlaskClient) -> None:
    body = b"a=1&" * 300_000
    routes = sorted({_fill(rule.rule) for rule in app.url_map.iter_rules()
                     if "POST" in (rule.methods or set())})
    assert len(routes) > 20
    refused = 0
    for path in routes:
        response, stream, _ = post_body(client, path, body)
        # Never read, let alone split. A route exempt from CSRF (a link's token in the path)
        # that answers before it reads its form spends nothing on the body either.
        assert stream.bytes_read == 0, path
        assert response.status_code in (404, 413), (path, response.status_code)
        refused += response.status_code == 413
    assert refused > len(routes) * 0.8
