"""Projects, their dated progress updates and the summary table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.records.models import State
from sunshine.records.money import Money
from sunshine.regions.models import Region

CATEGORIES = ["产业发展", "基础设施", "易地搬迁", "教育", "健康", "就业", "危房改造",
              "生态保护", "其他"]
#: The lifecycle in order; 终止 may end any stage before 验收.
STAGES = ["申报", "审批", "实施", "完工", "验收"]
TERMINATED = "终止"
ALL_STAGES = [*STAGES, TERMINATED]


class Project(db.Model):  # type: ignore[name-defined]
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("funded >= 0 AND spent >= 0 AND spent <= funded",
                        name="spent_within_funded"),
        CheckConstraint("beneficiary_households >= 0 AND beneficiary_people >= 0 AND "
                        "beneficiary_poor_households >= 0 AND "
                        "beneficiary_poor_households <= beneficiary_households",
                        name="beneficiaries_consistent"),
        Index("ix_project_public", "state", "year", "id"),
        Index("ix_project_city", "city_code", "state", "year", "id"),
        Index("ix_project_county", "county_code", "state", "year", "id"),
        Index("ix_project_region", "region_code", "state", "year", "id"),
        Index("ix_project_category", "category", "state", "year", "id"),
        Index("ix_project_stage", "stage", "state", "year", "id"),
        Index("ix_project_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    city_code: Mapped[str | None] = mapped_column(String(12), default=None)
    county_code: Mapped[str | None] = mapped_column(String(12), default=None)
    year: Mapped[int] = mapped_column(SmallInteger)
    budget: Mapped[Decimal] = mapped_column(Money)
    implementing_unit: Mapped[str] = mapped_column(String(200))
    # A role title (e.g. 县农业农村局局长), never a private person's name or phone.
    responsible_role: Mapped[str] = mapped_column(String(100), default="")
    summary: Mapped[str] = mapped_column(String(2000), default="")
    targets: Mapped[str] = mapped_column(String(1000), default="")  # 绩效目标
    mechanism: Mapped[str] = mapped_column(String(1000), default="")  # 带贫减贫机制
    beneficiary_households: Mapped[int] = mapped_column(Integer, default=0)
    beneficiary_people: Mapped[int] = mapped_column(Integer, default=0)
    beneficiary_poor_households: Mapped[int] = mapped_column(Integer, default=0)
    approved_on: Mapped[date | None] = mapped_column(Date, default=None)
    planned_start: Mapped[date | None] = mapped_column(Date, default=None)
    planned_end: Mapped[date | None] = mapped_column(Date, default=None)
    actual_start: Mapped[date | None] = mapped_column(Date, default=None)
    actual_end: Mapped[date | None] = mapped_column(Date, default=None)
    stage: Mapped[str] = mapped_column(String(4), default=STAGES[0])
    stage_reason: Mapped[str] = mapped_column(String(300), default="")  # why it was 终止
    deadline: Mapped[date | None] = mapped_column(Date, default=None)
    state: Mapped[str] = mapped_column(String(12), default=State.DRAFT.value)
    version: Mapped[int] = mapped_column(Integer, default=0)
    funded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    published_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")
    updates: Mapped[list[ProjectUpdate]] = relationship(
        back_populates="project", order_by="ProjectUpdate.on.desc(), ProjectUpdate.id.desc()")

    @property
    def url(self) -> str:
        return f"/projects/{self.id}"

    @property
    def region_name(self) -> str:
        """As the lists' plain rows (``queries.ProjectRow``) name it."""
        return self.region.name

    @property
    def terminated(self) -> bool:
        return self.stage == TERMINATED


class ProjectUpdate(db.Model):  # type: ignore[name-defined]
    """A dated progress note, published with the project (and a new stage where it moved)."""

    __tablename__ = "project_update"
    __table_args__ = (Index("ix_project_update_project", "project_id", "state", "on"),
                      # /projects/photos/<name> finds the update that shows a photo by its name.
                      Index("ix_project_update_photo", "photo"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    on: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(4))
    text: Mapped[str] = mapped_column(String(1000))
    photo: Mapped[str | None] = mapped_column(String(100), default=None)
    state: Mapped[str] = mapped_column(String(12), default=State.PUBLISHED.value)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="updates")


class ProjectTotal(db.Model):  # type: ignore[name-defined]
    """Published projects counted per region (each ancestor too), year, category and stage."""

    __tablename__ = "project_total"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(10), primary_key=True)
    stage: Mapped[str] = mapped_column(String(4), primary_key=True)
    projects: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    funded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    households: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    poor_households: Mapped[int] = mapped_column(Integer, default=0)
