"""A seller hears of each inquiry by e-mail; the buyer's contact stays behind the login."""

from __future__ import annotations

import pytest
from flask import Flask

from sunshine.accounts.models import User
from sunshine.extensions import db
from sunshine.market.inquiries import send_inquiry
from sunshine.market.models import Seller
from sunshine.notify import sender
from tests.market.conftest import make_listing, users, verified  # noqa: F401  (fixtures)
from tests.notify.conftest import Mailbox, text_of

pytestmark = pytest.mark.postgres


def test_a_seller_is_told_of_an_inquiry_without_the_buyers_contact(
        app: Flask, users: dict[str, User], verified: Seller,  # noqa: F811
        mailbox: Mailbox) -> None:
    users["seller"].email = "coop@example.cn"
    db.session.commit()
    listing = make_listing(users["seller"])
    inquiry = send_inquiry(listing, "20 斤", "13912345678", "请问可以寄到南宁吗")
    sender.deliver_due()
    [mail] = mailbox.messages
    assert mail["To"] == "coop@example.cn" and mail["Subject"] == "“百香果”收到新的询价"
    body = text_of(mail)
    assert f"https://sunshine.example.cn/market/my/inquiries/{inquiry.id}" in body
    assert "20 斤" in body
    assert "13912345678" not in body and "南宁" not in body
