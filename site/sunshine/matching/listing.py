"""The help list (/help/): a page of needs remembered per worker until a need of the region shown
(or above or below it) changes, with its cards, and the region menu; both written in Python with
exactly the HTML of the ``need_card`` macro and of the template's loop (twenty macro calls and a
hundred options were half the page's time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from markupsafe import Markup, escape

from sunshine.extensions import db
from sunshine.matching import queries
from sunshine.matching.models import NeedState
from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope
from sunshine.records.paging import PageNumbers
from sunshine.regions import services as regions
from sunshine.regions.services import TREE

T = TypeVar("T")

#: The badge colour of each state (``state_badge`` in matching/_ui.html).
STATE_KINDS = {"published": "info", "partly": "info", "pledged": "ok", "delivering": "ok",
               "delivered": "ok", "thanked": "ok", "closed": "ok", "expired": "warn",
               "withdrawn": "danger", "draft": "warn", "pending": "warn"}


@dataclass
class ListPage(PageNumbers, Generic[T]):
    """One page of a list (cards, the thanks wall's notes), the place of each item's village,
    and what the pagination macro reads."""

    items: list[T]
    places: dict[str, str]
    page: int
    per_page: int
    total: int
    html: Markup = Markup("")  # the items as the page shows them (the list's cards)
    least_pages: ClassVar[int] = 0  # as db.paginate counts them


def scopes(region: str | None) -> list[Scope]:
    """What the list shows: the needs under the region, and the region tree (place names)."""
    return [("matching", region), TREE]


def list_page(filters: queries.Filters, page: int, per_page: int,
              at: tuple[int, ...]) -> ListPage[queries.Card]:
    """Page ``page`` of the needs matching ``filters``, remembered until ``at`` (the versions of
    ``scopes(filters.region)``, read before) changes."""
    key = (filters.category, filters.region, filters.urgency, filters.state, page, per_page)
    return memo.remember("help-list", key, at, lambda: _read(filters, page, per_page),
                         size=256)


def _read(filters: queries.Filters, page: int, per_page: int) -> ListPage[queries.Card]:
    query = queries.card_query(filters)
    total = db.session.scalar(queries.count_query(filters)) or 0
    cards = queries.with_lines(db.session.execute(
        query.limit(per_page).offset((page - 1) * per_page)))
    places = queries.places(n.village_code for n in cards)
    return ListPage(cards, places, page, per_page, total, need_cards(cards, places))


def region_menu(selected: str | None, at: tuple[int, ...]) -> Markup:
    """The region filter's options: each city, then its counties (indented); ``selected``
    marked. The options are remembered until ``at`` changes."""
    html: str = memo.remember("help-region-menu", None, at, _region_options)
    if selected:
        html = html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>',
                            1)
    return Markup(html)


def _region_options() -> str:
    return "".join(
        f'<option value="{place.code}">'
        f'{escape(place.name) if place.level == 2 else escape(chr(0x3000) + place.name)}</option>'
        for place in regions.places((2, 3)))  # in code order: each city, then its counties


def _urgency_badge(urgency: int, label: str) -> str:
    kind = "danger" if urgency == 1 else "warn" if urgency == 2 else "info"
    return f'<span class="badge badge-{kind}">{label}</span>\n'


def _left(card: queries.Card) -> str:
    if card.remaining == 0:
        return "已认领完，谢谢各位爱心人士"
    if card.money:
        line = card.items[0]
        return f"还需 {escape(line.show(line.remaining))}"
    return "还需 " + "、".join(f"{escape(line.name)} {escape(line.show(line.remaining))}"
                             for line in card.items if line.remaining)


def need_cards(cards: list[queries.Card], places: dict[str, str]) -> Markup:
    """The list's cards, as ``need_card(need, place)`` draws each."""
    out = []
    for card in cards:
        percent = card.percent
        state = NeedState(card.state)
        out.append(
            f'<li class="need-card">\n'
            f'  <h3><a href="{card.url}">{escape(card.title)}</a></h3>\n'
            f'  <p>{_urgency_badge(card.urgency, card.urgency_label)}'
            f' <span class="badge badge-info">{escape(card.category)}</span>'
            f' <span class="badge badge-{STATE_KINDS[card.state]}">{state.label}</span>\n</p>\n'
            f'  <p class="muted">{escape(places[card.village_code])} · 截止 '
            f'{card.deadline.strftime("%Y-%m-%d")}</p>\n'
            f'  <div class="help-progress">\n'
            f'  <progress max="100" value="{percent}" aria-label="认领进度">{percent}%</progress>\n'
            f'  <span>已认领 {percent}%</span>\n</div>\n\n'
            f'  <p class="muted">{_left(card)}</p>\n</li>\n')
    return Markup("".join(out))
