"""Sealed identities: encrypted apart from what was filed, opened only through a logged view
filed under the province, and unreadable (not wrong) under a wrong key."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.config import ConfigError
from sunshine.extensions import db
from sunshine.tracked import sealing
from tests.factories import make_user

WHO = {"name": "欧阳秀英", "phone": "13912345678"}


def _views() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "probe_identity_viewed")))


def test_a_sealed_identity_shows_nothing_of_itself_and_opens_again(app: Flask) -> None:
    token = sealing.seal(WHO)
    assert token.isascii() and "欧阳" not in token and WHO["phone"] not in token
    assert sealing.unseal(token) == WHO
    assert sealing.seal(WHO) != token  # a fresh IV each time: equal identities look different
    assert sealing.fields_of(token, ("name", "email")) == {"name": WHO["name"], "email": ""}


def test_a_wrong_key_or_a_damaged_token_is_unreadable(app: Flask) -> None:
    token = sealing.seal(WHO)
    app.config["DATA_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    with pytest.raises(sealing.IdentityUnreadable):
        sealing.unseal(token)
    with pytest.raises(sealing.IdentityUnreadable):
        sealing.reseal(token)
    not_an_object = Fernet(app.config["DATA_ENCRYPTION_KEY"]).encrypt(json.dumps([1]).encode())
    for damaged in (token[:-4], "", "ÄÖÜ", not_an_object.decode()):
        with pytest.raises(sealing.IdentityUnreadable):
            sealing.unseal(damaged)


def test_resealing_moves_a_token_to_the_newest_key(app: Flask) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["DATA_ENCRYPTION_KEY"] = old
    token = sealing.seal(WHO)
    app.config["DATA_ENCRYPTION_KEY"] = f"{new},{old}"
    moved = sealing.reseal(token)
    assert Fernet(new).decrypt(moved.encode())
    app.config["DATA_ENCRYPTION_KEY"] = new
    assert sealing.unseal(moved) == WHO


def test_a_malformed_key_is_refused_at_start_up() -> None:
    sealing.check_config({})
    sealing.check_config({"DATA_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    for bad in ("not-a-key", " , ", ["short"]):
        with pytest.raises(ConfigError):
            sealing.check_config({"DATA_ENCRYPTION_KEY": bad})


def test_each_view_is_logged_under_the_province_and_committed(app: Flask) -> None:
    reader = make_user("reader-x", Role.ADMIN, None)
    token = sealing.seal(WHO)
    shown = sealing.reveal(token, ("name", "phone"), actor=reader,
                           action="probe_identity_viewed", object_type="probe", object_id=7,
                           detail="查看身份")
    assert shown == WHO
    db.session.rollback()  # the entry was committed with the view, not left to the caller
    [entry] = _views()
    assert (entry.actor_name, entry.object_type, entry.object_id, entry.region_code,
            entry.detail) == ("reader-x", "probe", "7", app.config["PROVINCE_CODE"], "查看身份")


def test_an_unreadable_identity_is_not_logged_as_seen(app: Flask) -> None:
    reader = make_user("reader-y", Role.ADMIN, None)
    token = sealing.seal(WHO)
    app.config["DATA_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    with pytest.raises(sealing.IdentityUnreadable):
        sealing.reveal(token, ("name",), actor=reader, action="probe_identity_viewed",
                       object_type="probe", object_id=8, detail="查看身份")
    db.session.rollback()
    assert _views() == []


@pytest.mark.parametrize("phone", ["13912345678", "0771-5551234", "07715551234", "010-12345678"])
def test_a_contact_phone_is_a_mobile_or_a_landline_with_its_area_code(phone: str) -> None:
    assert sealing.PHONE_RE.match(phone)


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "5551234", "0771-555",
                                   "+8613912345678"])
def test_other_numbers_are_no_contact_phone(phone: str) -> None:
    assert not sealing.PHONE_RE.match(phone)


def test_a_step_by_the_one_who_filed_is_logged_without_who_or_where(app: Flask) -> None:
    reader = make_user("reader-z", Role.ADMIN, None)
    with app.test_request_context("/probe/track", method="POST",
                                  environ_base={"REMOTE_ADDR": "203.0.113.77"}):
        sealing.record_unnamed("probe_rated", "probe", 9, "450102000000", "满意")
        sealing.reveal(sealing.seal(WHO), ("name",), actor=reader,
                       action="probe_identity_viewed", object_type="probe", object_id=9,
                       detail="查看身份")
    [step] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "probe_rated"))
    assert (step.actor_id, step.actor_name, step.address, step.object_id, step.region_code,
            step.detail) == (None, "", "", "9", "450102000000", "满意")
    # Staff who look are logged with their address as ever.
    assert [v.address for v in _views()] == ["203.0.113.77"]
