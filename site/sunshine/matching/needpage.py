"""What a need's public page (/help/<id>) shows, read as plain rows and remembered per worker
until a need of its village changes: the need and its lines, photos, history, public pledges,
place and story. The page itself is rendered for each visitor (a donor's pledge form carries
their name), from these figures; no household detail and no donor contact is read here."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import BindParameter, Select, bindparam, select

from sunshine.extensions import db
from sunshine.matching import queries
from sunshine.matching.models import (
    PUBLIC_STATES,
    Need,
    NeedEvent,
    NeedFigures,
    NeedItem,
    NeedPhoto,
    Pledge,
    PledgeRowFigures,
    PledgeState,
)
from sunshine.pagecache import memo
from sunshine.regions.models import Region
from sunshine.regions.services import TREE

#: Needs whose pages are remembered per worker.
SIZE = 512

#: Pledges the public sees on a need's page: those that hold their share.
SHOWN_PLEDGES = (PledgeState.ACTIVE, PledgeState.DELIVERING, PledgeState.DELIVERED,
                 PledgeState.CONFIRMED)


@dataclass
class Photo:
    id: int
    width: int
    height: int


@dataclass
class Event:
    at: datetime
    text: str


@dataclass
class PublicPledge(PledgeRowFigures):
    """A pledge as the public sees it: the donor's public name and kind, never their contact."""

    display_name: str
    donor_kind: str
    state: str
    quantity: int
    created_at: datetime
    item_name: str
    unit: str
    money: bool


@dataclass
class Place:
    code: str
    name: str


@dataclass
class NeedPage(NeedFigures):
    """A public need with everything its page shows, under the names ``Need`` uses."""

    id: int
    title: str
    category: str
    urgency: int
    deadline: date
    state: str
    money: bool
    village_code: str
    published_at: datetime | None
    thanks_note: str
    story: Markup
    items: list[queries.Line] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    pledges: list[PublicPledge] = field(default_factory=list)
    chain: list[Place] = field(default_factory=list)
    @property
    def village_name(self) -> str:
        return next((p.name for p in self.chain if p.code == self.village_code), "")

    @property
    def place(self) -> str:
        """"某县某镇某村"."""
        return "".join(p.name for p in self.chain)

    #: The page above and below the pledge box, rendered once (``public_parts``).
    parts: tuple[Markup, Markup] | None = None
    #: The empty pledge form with markers for a donor's own values (``pledgebox``).
    empty_form: str | None = None


@functools.cache
def _statements() -> dict[str, Select[Any]]:
    """The page's statements, built once with the need as a parameter (building a statement
    costs more than running it)."""
    need: BindParameter[int] = bindparam("need")
    return {
        "need": select(Need.id, Need.title, Need.category, Need.urgency, Need.deadline,
                       Need.state, Need.money, Need.village_code, Need.published_at,
                       Need.thanks_note, Need.story)
        .where(Need.id == need, Need.state.in_([s.value for s in PUBLIC_STATES])),
        "lines": select(NeedItem.id, NeedItem.name, NeedItem.unit, NeedItem.money,
                        NeedItem.needed, NeedItem.pledged, NeedItem.price)
        .where(NeedItem.need_id == need).order_by(NeedItem.position, NeedItem.id),
        "photos": select(NeedPhoto.id, NeedPhoto.width, NeedPhoto.height)
        .where(NeedPhoto.need_id == need).order_by(NeedPhoto.id),
        "events": select(NeedEvent.at, NeedEvent.text).where(NeedEvent.need_id == need)
        .order_by(NeedEvent.id),
        "pledges": select(Pledge.display_name, Pledge.donor_kind, Pledge.state, Pledge.quantity,
                          Pledge.created_at, NeedItem.name, NeedItem.unit, NeedItem.money)
        .join(NeedItem, NeedItem.id == Pledge.item_id)
        .where(Pledge.need_id == need, Pledge.state.in_([s.value for s in SHOWN_PLEDGES]))
        .order_by(Pledge.id),
        "chain": select(Region.code, Region.name)
        .where(Region.code.in_(bindparam("codes", expanding=True))),
    }


def need_page(need_id: int) -> NeedPage | None:
    """The public need ``need_id``, or None when it is not public. Remembered with the versions
    of its village's needs and of the region tree (its place's names), read before the need is
    read again (a need's village never changes once it is public): the first view of a need
    reads it, the next ones read one version."""
    kept_pages = memo.memo("help-need", SIZE)
    kept = kept_pages.get(need_id)
    village = kept.value.village_code if kept is not None else None
    at = memo.versions([("matching", village), TREE]) if village is not None else None
    if kept is not None and kept.version == at:
        page: NeedPage = kept.value
        return page
    page_read = _read(need_id)
    if page_read is not None:
        known = at if page_read.village_code == village else None  # else: checked next time
        kept_pages.put(need_id, memo.Kept(known, page_read, None))
    return page_read


def _read(need_id: int) -> NeedPage | None:
    statements = _statements()
    params = {"need": need_id}
    row = db.session.execute(statements["need"], params).first()
    if row is None:
        return None
    values = row._asdict()
    values["story"] = queries.story_html(values["story"])
    page = NeedPage(**values)
    page.items = [queries.Line(*r) for r in db.session.execute(statements["lines"], params)]
    page.photos = [Photo(*r) for r in db.session.execute(statements["photos"], params)]
    page.events = [Event(*r) for r in db.session.execute(statements["events"], params)]
    page.pledges = [PublicPledge(*r) for r in db.session.execute(statements["pledges"], params)]
    wanted = queries.chain_codes(page.village_code)
    names = dict(db.session.execute(statements["chain"], {"codes": wanted}).tuples().all())
    page.chain = [Place(code, names[code]) for code in wanted if code in names]
    return page


def public_parts(page: NeedPage) -> tuple[Markup, Markup]:
    """The page above and below the pledge box, the same for every visitor: rendered the first
    time they are wanted and remembered with ``page`` (so once per version of its data).
    Rendered from the bare environment with the need's figures only, never a visitor's."""
    if page.parts is None:
        env = current_app.jinja_env
        values = {"need": page, "story": page.story, "chain": page.chain,
                  "pledges": page.pledges}
        page.parts = (Markup(env.get_template("matching/_need_top.html").render(values)),
                      Markup(env.get_template("matching/_need_bottom.html").render(values)))
    return page.parts
