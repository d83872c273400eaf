"""The applicant's download link (from the tracking page): signed, good for an hour, checked
on every request; the file's row is read each time, so a file taken off the answer is gone at
once; never stored by a browser; a forged, expired or crossed link is a 404."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from sunshine.extensions import db
from sunshine.requests import attachments, files, handling
from sunshine.requests.demo import tiny_pdf
from sunshine.requests.models import Outcome
from tests.requests.conftest import file

pytestmark = pytest.mark.postgres


def _get(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    response.get_data()
    response.close()
    return response


class HourAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - files.TOKEN_SECONDS - 1


def test_the_applicants_link_is_checked_on_every_request(
        app: Flask, client: FlaskClient, regions: dict[str, str], users: dict[str, Any]) -> None:
    info, _ = file(now=None)
    other, _ = file(now=None)
    handling.answer(info, users["county"], handling.Answer(Outcome.PARTIAL, "third_party",
                                                           "见附件", withheld="报价单"))
    [name] = attachments.add(info, users["county"], [files.Upload("清单.pdf", tiny_pdf("t", "1"))])
    db.session.commit()
    with app.test_request_context():
        [(row, link)] = files.applicant_links(info)
    assert name == row.name

    for _ in range(2):  # the same answer each time, never kept by a browser
        got = _get(client, link)
        assert got.status_code == 200 and got.data == tiny_pdf("t", "1")
        assert {"private", "no-store"} <= {part.strip() for part in
                                          got.headers["Cache-Control"].split(",")}
        assert got.headers["Content-Disposition"].startswith("attachment;")

    signer = files.signer()
    expired = URLSafeTimedSerializer(app.secret_key, salt="request-file", signer=HourAgo)
    token = link.rsplit("/", 1)[1]
    for wrong in (expired.dumps([info.id, row.id]),  # an hour and a second old
                  signer.dumps([other.id, row.id]),  # another request's number
                  signer.dumps([info.id, "x"]), signer.dumps("junk"),
                  token[:-3] + "abc", "A" * 40):
        assert _get(client, f"/requests/track/files/{wrong}").status_code == 404, wrong

    attachments.remove(info, users["county"], row.id)
    db.session.commit()
    assert _get(client, link).status_code == 404  # taken off the answer: gone at once
