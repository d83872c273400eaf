"""The database itself refuses what the services refuse: negative amounts and overspending
(CHECK constraints); a list's plain row and the model show the same figures."""

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


def test_a_list_row_shows_the_same_figures_as_its_allocation(funded: Setup) -> None:
    from datetime import date

    from sunshine.funds import queries
    from sunshine.funds import services as funds

    funds.record_spending(None, funded.fund, funds.SpendingFields(
        amount=Decimal("123456.78"), paid_on=date(2020, 6, 1), payee="示范单位", purpose="材料"))
    fund = db.session.get_one(Fund, funded.fund.id)
    [row] = queries.list_funds(queries.FundFilters()).items
    assert (row.balance, row.progress, row.unlined, row.url) == (
        fund.balance, fund.progress, fund.unlined, fund.url) == (
        Decimal("876543.22"), Decimal("12.3"), Decimal("700000.00"), f"/funds/{fund.id}")
