"""How a queued message leaves the site. A channel takes one message at a time and either
returns (delivered), or raises ``TemporaryFailure`` (try again later) or ``PermanentFailure``
(never again). E-mail goes over SMTP, or into a folder of .eml files for development; an SMS
gateway would be one more class with the same two methods.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """A message as it leaves: its links carry the tokens minted for this sending, which the
    outbox row itself never holds."""

    id: int
    recipient: str
    subject: str
    text: str
    html: str
    message_id: str
    created_at: datetime
    unsubscribe_url: str | None = None


class TemporaryFailure(Exception):
    """The channel could not deliver now (server down, 4xx answer): retry with backoff."""


class PermanentFailure(Exception):
    """The channel refused the message for good; ``bounce`` when the recipient was refused."""

    def __init__(self, reason: str, code: int = 0, bounce: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.bounce = bounce


class Channel(Protocol):
    def send(self, message: Outgoing) -> None: ...

    def close(self) -> None: ...


def compose(message: Outgoing, sender: str) -> EmailMessage:
    """The MIME message: a plain-text part and a Chinese HTML part, with the message's own
    Message-ID and, for a subscription, the RFC 8058 one-click unsubscribe headers."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    mail["Date"] = format_datetime(message.created_at)
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text, charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


class SmtpChannel:
    """E-mail over SMTP, configured the Flask-Mail way; one connection for a whole batch."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.connection is not None:
            return self.connection
        host, port = self.config["MAIL_SERVER"], int(self.config["MAIL_PORT"])
        timeout = float(self.config["MAIL_TIMEOUT_SECONDS"])
        try:
            if self.config["MAIL_USE_SSL"]:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout)
            else:
                connection = smtplib.SMTP(host, port, timeout=timeout)
                if self.config["MAIL_USE_TLS"]:
                    connection.starttls()
            if self.config["MAIL_USERNAME"]:
                connection.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"] or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot connect to {host}:{port}: {exc}") from exc
        self.connection = connection
        return connection

    def send(self, message: Outgoing) -> None:
        mail = compose(message, self.config["MAIL_DEFAULT_SENDER"])
        connection = self._connect()
        try:
            connection.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            self._refused(code, reason, bounce=True)
        except smtplib.SMTPResponseException as exc:
            self._drop_after_error()
            self._refused(exc.smtp_code, exc.smtp_error, bounce=False)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop_after_error()
            raise TemporaryFailure(str(exc) or type(exc).__name__) from exc

    @staticmethod
    def _refused(code: int, reason: bytes | str, bounce: bool) -> None:
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        if 400 <= code < 500:
            raise TemporaryFailure(f"{code} {text}")
        raise PermanentFailure(f"{code} {text}", code=code, bounce=bounce)

    def _drop_after_error(self) -> None:
        """After a refused transaction the connection may be in any state: start a new one."""
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except OSError:
                pass

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()


class FolderChannel:
    """Writes each message as an .eml file named by its Message-ID (so a message sent twice is
    one file): development and the demo read their mail there."""

    def __init__(self, folder: str | Path, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, message: Outgoing) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-._" else "_" for c in message.message_id)
        path = self.folder / f"{message.id:06d}-{name.strip('_')}.eml"
        path.write_bytes(bytes(compose(message, self.sender)))

    def close(self) -> None:
        pass


def open_channel(name: str, config: Mapping[str, Any]) -> Channel:
    """The channel that delivers messages queued for ``name``."""
    if name != "email":
        raise PermanentFailure(f"no channel {name!r}")
    if config["MAIL_FOLDER"]:
        return FolderChannel(config["MAIL_FOLDER"], config["MAIL_DEFAULT_SENDER"])
    return SmtpChannel(config)
