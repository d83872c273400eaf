"""Sellers, their listings with photos, and buyers' inquiries.

A buyer's contact lives only on ``Inquiry``; no public page, export, API or search document
reads that table.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.accounts.models import User
from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.uploads import PhotoColumns

CATEGORIES = ["粮油", "果蔬", "畜禽", "水产", "茶叶", "山货", "手工艺品", "其他"]
LABELS = ["绿色", "有机", "地理标志"]
UNITS = ["斤", "公斤", "箱", "袋", "盒", "只", "件", "瓶", "罐"]


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class SellerKind(enum.StrEnum):
    HOUSEHOLD = "household"
    COOPERATIVE = "cooperative"
    COMPANY = "company"

    @property
    def label(self) -> str:
        return {"household": "农户", "cooperative": "农民专业合作社", "company": "企业"}[self.value]


class SellerStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "待核实", "verified": "已核实", "rejected": "未通过"}[self.value]


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    ON_SALE = "on_sale"
    OFF = "off"

    @property
    def label(self) -> str:
        labels = {"draft": "草稿", "pending": "待审核", "on_sale": "在售", "off": "已下架"}
        return labels[self.value]


class Seller(db.Model):  # type: ignore[name-defined]
    __tablename__ = "market_seller"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[SellerKind] = mapped_column(_enum(SellerKind))
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    licence: Mapped[str] = mapped_column(String(200), default="")
    poverty_link: Mapped[str] = mapped_column(Text, default="")  # 带贫机制
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SellerStatus] = mapped_column(_enum(SellerStatus), default=SellerStatus.PENDING,
                                                 index=True)
    status_note: Mapped[str] = mapped_column(String(500), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    county: Mapped[Region] = relationship(foreign_keys=[county_code], lazy="joined")
    village: Mapped[Region] = relationship(foreign_keys=[village_code], lazy="joined")

    @property
    def verified(self) -> bool:
        return self.status == SellerStatus.VERIFIED


class Listing(db.Model):  # type: ignore[name-defined]
    __tablename__ = "market_listing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("market_seller.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20), index=True)
    variety: Mapped[str] = mapped_column(String(100), default="")
    spec: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(10))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    min_order: Mapped[int] = mapped_column(Integer, default=1)
    stock: Mapped[str] = mapped_column(String(100), default="")  # 库存或供应季节
    produced_on: Mapped[date | None] = mapped_column(Date, default=None)
    shelf_life: Mapped[str] = mapped_column(String(50), default="")
    origin_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    labels: Mapped[str] = mapped_column(String(50), default="")  # comma-separated LABELS
    certified: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # 扶贫产品
    description_md: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ListingStatus] = mapped_column(_enum(ListingStatus),
                                                  default=ListingStatus.DRAFT, index=True)
    price_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    takedown_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    seller: Mapped[Seller] = relationship(lazy="joined")
    origin: Mapped[Region] = relationship(lazy="joined")
    photos: Mapped[list[ListingPhoto]] = relationship(order_by="ListingPhoto.id",
                                                      cascade="all, delete-orphan")

    @property
    def county_code(self) -> str:
        """The county (县) of the origin: its staff review, certify and take down the listing,
        wherever the seller has since moved."""
        return self.origin_code[:6] + "000000"

    @property
    def label_list(self) -> list[str]:
        return [label for label in self.labels.split(",") if label]

    @property
    def url(self) -> str:
        return f"/market/{self.id}"


class ListingPhoto(db.Model, PhotoColumns):  # type: ignore[name-defined]
    __tablename__ = "market_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("market_listing.id"), index=True)


class Inquiry(db.Model):  # type: ignore[name-defined]
    """A buyer's question; its contact is read only by the seller (and handling staff)."""

    __tablename__ = "market_inquiry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("market_listing.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("market_seller.id"), index=True)
    quantity: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    listing: Mapped[Listing] = relationship()
