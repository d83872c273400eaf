"""The staff's need form and the service's fields: reading the goods table and amounts out of
the form (strictly, with Chinese messages), and filling the form from a need to edit it."""

from __future__ import annotations

from typing import Any

from sunshine.matching.common import MatchingError
from sunshine.matching.forms import NeedForm, PublicEditForm, parse_units
from sunshine.matching.models import Need
from sunshine.matching.needs import ItemFields, NeedFields
from sunshine.records.money import AmountError, from_fen, money_text, parse_amount


def fields_from(form: NeedForm) -> NeedFields:
    """:raise MatchingError: a quantity, price or amount that cannot be read."""
    items: list[ItemFields] = []
    amount = None
    if form.kind.data == "amount":
        try:
            amount = parse_amount(form.amount.data)
        except AmountError as exc:
            raise MatchingError(str(exc), "amount") from None
    else:
        for n, entry in enumerate(form.items.entries, start=1):
            row = entry.form
            if row.blank:
                continue
            quantity = parse_units(row.quantity.data)
            if not quantity:
                raise MatchingError(f"第 {n} 项物品：请填写数量（大于 0 的整数，半角数字）",
                                    "items")
            price = None
            if (row.price.data or "").strip():
                try:
                    price = parse_amount(row.price.data, allow_zero=True)
                except AmountError as exc:
                    raise MatchingError(f"第 {n} 项物品的估价：{exc}", "items") from None
            items.append(ItemFields(row.name.data or "", quantity, row.unit.data or "", price))
    return NeedFields(household_id=int(form.household_id.data.strip()),
                      category=form.category.data, title=form.title.data or "",
                      story=form.story.data or "", urgency=int(form.urgency.data),
                      deadline=form.deadline.data, items=items, amount=amount)


def form_for(need: Need | None) -> NeedForm:
    """An empty form for a new need, or a draft's values to edit."""
    if need is None:
        return NeedForm(formdata=None)
    data: dict[str, Any] = {
        "household_id": f"{need.household_id:016d}", "category": need.category,
        "title": need.title, "story": need.story, "urgency": str(need.urgency),
        "deadline": need.deadline, "kind": "amount" if need.money else "items"}
    if need.money:
        data["amount"] = money_text(from_fen(need.items[0].needed))
    else:
        data["items"] = [{"name": i.name, "quantity": str(i.needed), "unit": i.unit,
                          "price": money_text(i.price) if i.price is not None else ""}
                         for i in need.items]
    return NeedForm(formdata=None, data=data)


def public_form_for(need: Need) -> PublicEditForm:
    return PublicEditForm(formdata=None, data={
        "title": need.title, "story": need.story, "urgency": str(need.urgency),
        "deadline": need.deadline})
