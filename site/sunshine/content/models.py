"""Articles (news and policy guides) and their kept versions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region


class Kind(enum.StrEnum):
    NEWS = "news"
    POLICY = "policy"

    @property
    def label(self) -> str:
        return "扶贫动态" if self is Kind.NEWS else "政策导航"

    @property
    def path(self) -> str:
        return "/news/" if self is Kind.NEWS else "/policies/"


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布", "unpublished": "已撤下"}[self.value]


NEWS_CATEGORIES = ["工作动态", "地方动态", "典型案例", "政策解读"]
POLICY_TOPICS = ["教育资助", "健康扶贫", "危房改造", "产业扶持", "就业", "小额信贷", "易地搬迁",
                 "兜底保障"]
LEVELS = ["中央", "省", "市", "县"]


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Article(db.Model):  # type: ignore[name-defined]
    __tablename__ = "article"
    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitized once when saved; pages never render Markdown per request.
    body_html: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), index=True)  # news category or policy topic
    level: Mapped[str] = mapped_column(String(4), default="省")
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    issuer: Mapped[str] = mapped_column(String(100), default="")
    document_number: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_on: Mapped[date] = mapped_column(Date, index=True)
    expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.DRAFT, index=True)
    # Articles synced from content/ keep their file path; back-office articles have none.
    source_path: Mapped[str | None] = mapped_column(String(300), default=None, unique=True)
    source_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    change_note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    changed_after_publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    region: Mapped[Region] = relationship(lazy="joined")
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.version.desc()",
        cascade="all, delete-orphan")

    @property
    def url(self) -> str:
        return f"{self.kind.path}{self.slug}"

    def expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


class ArticleVersion(db.Model):  # type: ignore[name-defined]
    """Every saved state of an article, kept for good (who changed what, when)."""

    __tablename__ = "article_version"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    change_note: Mapped[str] = mapped_column(String(300), default="")
    editor_name: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="versions")
