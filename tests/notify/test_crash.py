"""A sender killed with SIGKILL in the middle of a batch, then started again: every message
arrives, and the only copy is of the message in flight, under the same Message-ID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.notify import outbox
from sunshine.notify.models import Message, State
from tests.notify.conftest import Mailbox

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def sender_process(app: Flask, port: int, **env: str) -> subprocess.Popen[bytes]:
    """``sunshine mail send`` in a process of its own, on the test's database."""
    environment = {
        **os.environ, "PYTHONPATH": str(ROOT / "site"), "SUNSHINE_ENV": "testing",
        "SUNSHINE_SECRET_KEY": app.config["SECRET_KEY"],
        "SUNSHINE_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SUNSHINE_MAIL_SERVER": "127.0.0.1", "SUNSHINE_MAIL_PORT": str(port),
        "SUNSHINE_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], **env}
    return subprocess.Popen(
        [sys.executable, "-c", "from sunshine.cli import main; main()", "mail", "send"],
        env=environment, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_only_the_message_in_flight(
        app: Flask, mailbox: Mailbox, smtp_server: tuple[Mailbox, int]) -> None:
    messages = [outbox.tell(f"v{n}@example.cn", f"第{n}条动态", ["x"], f"/notices/{n}")
                for n in range(30)]
    db.session.commit()
    ids = {m.message_id for m in messages}
    db.session.remove()
    db.engine.dispose()  # the sender processes open their own connections

    first = sender_process(app, smtp_server[1])
    killed: list[int] = []

    def kill_at_tenth(count: int) -> None:
        # The server holds the tenth message but has not said so: the sender dies before it
        # can mark it sent, the worst moment.
        if count == 10 and not killed:
            os.kill(first.pid, signal.SIGKILL)
            killed.append(count)

    mailbox.received = kill_at_tenth
    out, err = first.communicate(timeout=120)
    assert first.returncode == -signal.SIGKILL, err.decode()
    mailbox.received = None
    assert len(mailbox.messages) == 10
    in_flight = db.session.scalars(select(Message).where(Message.state == State.SENDING)).all()
    assert len(in_flight) == 1

    # Started again at once: the lease keeps the message in flight where it is.
    again = sender_process(app, smtp_server[1])
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    assert Counter(mailbox.ids()).most_common(1)[0][1] == 1
    assert set(mailbox.ids()) == ids  # the one in flight had reached the server

    # After the lease it goes again, under its own Message-ID.
    after = sender_process(app, smtp_server[1], SUNSHINE_MAIL_SEND_LEASE_SECONDS="0")
    out, err = after.communicate(timeout=120)
    assert after.returncode == 0, err.decode()
    received = Counter(mailbox.ids())
    assert set(received) == ids
    assert [i for i, n in received.items() if n > 1] == [in_flight[0].message_id]
    assert received[in_flight[0].message_id] == 2
    db.session.expire_all()
    states = db.session.scalars(select(Message.state)).all()
    assert set(states) == {State.SENT}
