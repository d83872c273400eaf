"""Complainants' identities (encrypted apart from the case, seen by oversight only, each view
logged) and tracking codes (random, grouped, stored only as a hash). Also run on PostgreSQL."""


from __future__ import annotations

import re
import time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from sunshine.audit import AuditEntry
from sunshine.complaints import handling, services
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.tracked import sealing, tracking
from tests.complaints.conftest import NAME, PHONE, file_case, named_case
from tests.conftest import SAMPLE

pytestmark = pytest.mark.postgres

VILLAGE, TOWN, COUNTY = SAMPLE["village"], SAMPLE["town"], SAMPLE["county"]


# --- identities ----------------------------------------------------------------------------


def _all_text_in_database() -> str:
    """Every value of every row of every table, as text."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_the_identity_is_encrypted_apart_from_the_case(app, regions, users) -> None:
    case, _ = named_case()
    sealed = db.session.scalar(text("SELECT sealed FROM complaint_reporter WHERE case_id = :id"),
                               {"id": case.id})
    assert sealed and NAME not in sealed and PHONE not in sealed
    everything = _all_text_in_database()
    assert NAME not in everything and PHONE not in everything
    assert sealing.unseal(sealed) == {"name": NAME, "phone": PHONE}
    assert case.named and not hasattr(case, "reporter")


def test_only_oversight_sees_the_reporter_and_each_view_is_logged(app, regions, users) -> None:
    case, _ = named_case()
    for who in ("county", "admin", "other", "editor"):
        with pytest.raises(PermissionDenied):
            handling.view_reporter(case, users[who])
    assert handling.view_reporter(case, users["oversight"]) == {"name": NAME, "phone": PHONE}
    handling.view_reporter(case, users["oversight"])
    views = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "complaint_reporter_viewed")).scalars().all()
    assert len(views) == 2 and {v.actor_name for v in views} == {"oversight"}
    # Filed under the province: the county's staff cannot tell that someone looked.
    assert {v.region_code for v in views} == {SAMPLE["province"]}
    assert all(NAME not in v.detail and PHONE not in v.detail for v in views)
    anonymous, _ = file_case()
    with pytest.raises(services.CaseError):
        handling.view_reporter(anonymous, users["oversight"])


def test_a_malformed_key_stops_the_site_at_start_up(tmp_path) -> None:
    from sunshine import create_app
    from sunshine.config import ConfigError
    from tests.apps import make_config

    with pytest.raises(ConfigError):
        create_app(make_config(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite'}",
                               DATA_ENCRYPTION_KEY="not-a-fernet-key"))


def test_a_configured_key_is_used_and_a_wrong_key_is_refused(app, regions) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["DATA_ENCRYPTION_KEY"] = old
    token = sealing.seal({"name": NAME})
    assert Fernet(old).decrypt(token.encode())  # really the configured key
    app.config["DATA_ENCRYPTION_KEY"] = f"{new},{old}"  # rotation: new first, old still reads
    assert sealing.unseal(token) == {"name": NAME}
    app.config["DATA_ENCRYPTION_KEY"] = new
    with pytest.raises(sealing.IdentityUnreadable):
        sealing.unseal(token)
    app.config["DATA_ENCRYPTION_KEY"] = None  # derived from SECRET_KEY
    derived = sealing.seal({"name": NAME})
    app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough-42"
    with pytest.raises(sealing.IdentityUnreadable):
        sealing.unseal(derived)


def _sealed(case_id: int) -> str:
    return db.session.scalar(text("SELECT sealed FROM complaint_reporter WHERE case_id = :id"),
                             {"id": case_id})


def test_identities_are_resealed_with_the_newest_key(app, regions, users, runner) -> None:
    """Key rotation: list the new key first, reseal, then the old key can go."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["DATA_ENCRYPTION_KEY"] = old
    first, _ = named_case()
    second, _ = file_case(named=True, name="李四", phone="13900001111")
    app.config["DATA_ENCRYPTION_KEY"] = f"{new},{old}"
    result = runner.invoke(args=["complaints", "reseal"])
    assert result.exit_code == 0 and "2 条" in result.output, result.output
    db.session.expire_all()
    app.config["DATA_ENCRYPTION_KEY"] = new
    assert sealing.unseal(_sealed(first.id)) == {"name": NAME, "phone": PHONE}
    assert sealing.unseal(_sealed(second.id))["name"] == "李四"
    # With the old key missing, nothing is changed and the operator is told.
    app.config["DATA_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    before = _sealed(first.id)
    result = runner.invoke(args=["complaints", "reseal"])
    assert result.exit_code != 0 and "未做任何改动" in result.output
    db.session.expire_all()
    assert _sealed(first.id) == before


# --- tracking codes ------------------------------------------------------------------------


def test_tracking_codes_are_random_grouped_and_stored_only_as_a_hash(app, regions) -> None:
    case, code = file_case()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert len(tracking.ALPHABET) ** tracking.CODE_LENGTH >= 2 ** 80
    raw = code.replace("-", "")
    everything = _all_text_in_database()
    assert raw not in everything and code not in everything
    assert case.code_hash != raw and len(case.code_hash) == 64
    for typed in (code, code.lower(), raw, f"  {raw[:8]} {raw[8:]} ",
                  code.replace("0", "O").replace("1", "I")):
        assert services.find_by_code(typed) == case, typed
    wrong = ("1" if raw[0] != "1" else "2") + raw[1:]
    for junk in (wrong, "", "K7QF", "x" * 64, "K7QF-M2XD-9TRA-3HP!", "ÄÖÜ" * 6):
        assert services.find_by_code(junk) is None, junk


def test_ten_thousand_random_codes_find_nothing(app, regions) -> None:
    for _ in range(3):
        file_case()
    started = time.perf_counter()
    found = [c for c in (tracking.new_code() for _ in range(10_000))
             if services.find_by_code(c) is not None]
    assert found == []
    assert time.perf_counter() - started < 60


def test_the_pepper_changes_every_hash(app, regions) -> None:
    case, code = file_case()
    app.config["TRACKING_CODE_PEPPER"] = "a-configured-pepper-0123456789abcdef"
    assert services.find_by_code(code) is None
    assert tracking.code_hash(code) != case.code_hash
