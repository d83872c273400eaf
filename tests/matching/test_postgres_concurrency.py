"""Never over-fulfilled, against a real multi-worker server: gunicorn with four worker processes
of four threads each, on a temporary SQLite file (or, with --postgres, the throwaway PostgreSQL).
Fifty donors each pledge one unit of a need with ten units left, all at once, twenty times over:
exactly ten succeed each time, the other forty are told "已认领完", nothing answers 500 and the
server never logs "database is locked"."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from sunshine.accounts.models import Role
from sunshine.extensions import db
from sunshine.matching import needs
from sunshine.matching.models import Need, NeedItem, NeedState, Pledge
from tests.apps import PASSWORD, TEST_SECRET
from tests.factories import make_user
from tests.matching.conftest import make_need

pytestmark = pytest.mark.postgres

DONORS = 50
UNITS = 10
ROUNDS = 20
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port: int, method: str, path: str, body: dict[str, str] | None = None,
             cookie: str = "") -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        conn.close()


@pytest.fixture
def server(app, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """gunicorn serving the test database; yields its port and its log file."""
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "SUNSHINE_ENV": "testing", "SUNSHINE_SECRET_KEY": TEST_SECRET,
           "SUNSHINE_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "SUNSHINE_WTF_CSRF_ENABLED": "false", "SUNSHINE_RATELIMIT_ENABLED": "false",
           "SUNSHINE_SEARCH_INDEX_DIR": str(tmp_path / "index"),
           "SUNSHINE_SEARCH_APPLY_THREAD": "false",
           "SUNSHINE_UPLOAD_DIR": str(tmp_path / "uploads"),
           # Each donor pledges once a round: more than one donor may hold at once by default.
           "SUNSHINE_PLEDGE_MAX_ACTIVE": str(ROUNDS)}
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", "4", "--worker-class", "gthread", "--threads", "4",
             "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
             "sunshine:create_app()"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("gunicorn did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        yield port, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()


def _login(port: int, username: str) -> str:
    status, headers, body = _request(port, "POST", "/login",
                                     {"login": username, "password": PASSWORD})
    assert status == 302, body[-500:]
    return headers["set-cookie"].split(";", 1)[0]


def _pledge_at_once(port: int, barrier: threading.Barrier, need_id: int, line: int,
                    cookie: str) -> tuple[int, str]:
    """One donor's pledge of one unit, sent when every donor of the round is ready."""
    barrier.wait(timeout=60)
    status, _, body = _request(port, "POST", f"/help/{need_id}/pledge",
                               {"item": str(line), "quantity": "1", "donor_kind": "person"}, cookie)
    return status, body


def test_fifty_simultaneous_pledges_never_over_fulfil(server, users):
    port, log = server
    for n in range(DONORS):
        make_user(f"donor-{n:02d}", Role.DONOR, None)
    with ThreadPoolExecutor(DONORS) as pool:
        cookies = list(pool.map(lambda n: _login(port, f"donor-{n:02d}"), range(DONORS)))
        started = time.monotonic()
        for round_no in range(ROUNDS):
            need = make_need(users, items=[needs.ItemFields("书包", UNITS, "个")])
            line, need_id = need.items[0].id, need.id
            fire = partial(_pledge_at_once, port, threading.Barrier(DONORS), need_id, line)
            answers = list(pool.map(fire, cookies))
            statuses = Counter(status for status, _ in answers)
            assert statuses == {303: UNITS, 409: DONORS - UNITS}, (round_no, statuses)
            assert all("已认领完" in body for status, body in answers if status == 409)
            db.session.expire_all()
            assert db.session.scalar(select(NeedItem.pledged).where(NeedItem.id == line)) == UNITS
            assert db.session.scalar(select(func.count()).select_from(Pledge).where(
                Pledge.need_id == need_id)) == UNITS
            assert db.session.get(Need, need_id).state == NeedState.PLEDGED
        elapsed = time.monotonic() - started
    text = log.read_text()
    assert "database is locked" not in text and "Traceback" not in text, text[-3000:]
    assert elapsed < 120, f"{ROUNDS} rounds took {elapsed:.0f} s"
