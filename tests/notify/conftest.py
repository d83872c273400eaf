"""A real SMTP server (aiosmtpd) in the test process, and an app that sends to it."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Mailbox:
    """What the server received; ``refuse`` lists answers to give to the next RCPT commands
    (e.g. "451 4.3.0 try later") before it accepts again."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: list[str] = []
        self.delay = 0.0
        #: Called with the count of messages received, before the server answers DATA.
        self.received: Callable[[int], None] | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            count = len(self.messages)
        if self.received is not None:
            self.received(count)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.refuse.clear()
        self.delay = 0.0
        self.received = None

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Iterator[Mailbox]:
    smtp_server[0].clear()
    yield smtp_server[0]
    smtp_server[0].clear()


@pytest.fixture
def app_config(smtp_server: tuple[Mailbox, int]) -> dict[str, Any]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server[1],
            "SITE_URL": "https://sunshine.example.cn"}


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content


LINK = re.compile(r"https://sunshine\.example\.cn(/notify/[a-z]+/[A-Za-z0-9_-]+)")


def links(message: EmailMessage) -> dict[str, str]:
    """The site's /notify/ links in a message's text, by their first path part (confirm,
    unsubscribe, manage): path only, for the test client."""
    found = {}
    for path in LINK.findall(text_of(message)):
        found[path.split("/")[2]] = path
    return found
