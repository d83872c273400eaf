"""Helpers for the market tests: staff of two counties, sellers and listings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sunshine.accounts.models import Role, User
from sunshine.market import services
from sunshine.market.models import Listing, Seller, SellerKind
from tests.conftest import SAMPLE
from tests.factories import make_user

VILLAGE = SAMPLE["village"]


@pytest.fixture
def users(regions: dict[str, str]) -> dict[str, User]:
    return {
        "county": make_user("staff-county", Role.STAFF, regions["county"]),
        "other": make_user("staff-other", Role.STAFF, regions["other_county"]),
        "admin": make_user("root-admin", Role.ADMIN, None),
        "seller": make_user("coop", Role.SELLER, None),
        "seller2": make_user("coop2", Role.SELLER, None),
        "donor": make_user("donor", Role.DONOR, None),
    }


def make_seller(user: User, village: str = VILLAGE, verify_by: User | None = None) -> Seller:
    seller = services.save_seller(user, services.SellerFields(
        name="绿源种植专业合作社", kind=SellerKind.COOPERATIVE, village_code=village,
        licence="93450000MA1234567", poverty_link="吸纳贫困户务工"))
    if verify_by is not None:
        services.verify_seller(verify_by, seller, True)
    return seller


def listing_fields(**overrides: Any) -> services.ListingFields:
    values: dict[str, Any] = {"name": "百香果", "category": "果蔬", "unit": "斤",
                              "price": Decimal("8.50"), "origin_code": VILLAGE,
                              "description_md": "**新鲜**百香果"}
    values.update(overrides)
    return services.ListingFields(**values)


def make_listing(user: User, submit: bool = True, **overrides: Any) -> Listing:
    listing = services.save_listing(user, listing_fields(**overrides))
    if submit:
        services.submit_listing(user, listing)
    return listing


@pytest.fixture
def verified(users: dict[str, User]) -> Seller:
    return make_seller(users["seller"], verify_by=users["county"])


