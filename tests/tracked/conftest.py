"""A model followed by code that belongs to no feature: the kernel is tested on its own."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunshine.extensions import db


class ProbeBase(DeclarativeBase):
    pass


class Parcel(ProbeBase):
    """Something filed by the public and followed by its tracking code."""

    __tablename__ = "probe_parcel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)


@pytest.fixture
def parcels(app: Flask) -> type[Parcel]:
    """The probe table in this test's database (apart from the site's own metadata)."""
    ProbeBase.metadata.create_all(db.engine)
    return Parcel
