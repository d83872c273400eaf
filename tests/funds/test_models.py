"""The database itself refuses what the services refuse: negative amounts and overspending
(CHECK constraints)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from sunshine.extensions import db
from sunshine.funds.models import Fund
from tests.funds.conftest import Setup

pytestmark = pytest.mark.postgres

STATEMENTS = [
    "UPDATE fund SET amount = -1 WHERE id = :id",
    "UPDATE fund SET spent = amount + 1 WHERE id = :id",
    "UPDATE fund SET lined = amount + 1 WHERE id = :id",
    "UPDATE fund_line SET spent = amount + 1 WHERE fund_id = :id",
    "UPDATE project SET spent = funded + 1",
]


def test_check_constraints_refuse_overspending(funded: Setup) -> None:
    for statement in STATEMENTS:
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement), {"id": funded.fund.id})
        db.session.rollback()


def test_money_is_stored_as_integer_fen_and_read_back_exactly(funded: Setup) -> None:
    stored = db.session.execute(text("SELECT amount FROM fund WHERE id = :id"),
                                {"id": funded.fund.id}).scalar()
    assert stored == 100_000_000 and isinstance(stored, int)
    assert db.session.get(Fund, funded.fund.id).amount == Decimal("1000000.00")
