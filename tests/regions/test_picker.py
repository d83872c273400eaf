"""The region picker of the public forms: the chosen chain, the choices of each select, a
link's region, and the selects with their “显示下一级” button."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from sunshine.forms import BaseForm
from sunshine.regions.picker import CHOOSE_ABOVE_FIRST, RegionPicker, region_select

pytestmark = pytest.mark.postgres

ALL = RegionPicker(("city", "county", "town", "village"))
OFFICES = RegionPicker(("city", "county", "town"), first_prompt="请选择（不选即省级）",
                       prompt="请选择（不选即本级）", link_depth=2)


class PlaceForm(BaseForm):
    class Meta:
        csrf = False

    city = region_select("city")
    county = region_select("county")
    town = region_select("town")
    village = region_select("village")


def form(**picks: str) -> PlaceForm:
    return PlaceForm(MultiDict(picks))


def codes_of(chain: list[Any]) -> list[str]:
    return [region.code for region in chain]


def test_the_chain_follows_the_picks_down(app: Flask, regions: dict[str, str]) -> None:
    with app.test_request_context():
        picked = form(city=regions["city"], county=regions["county"], town=regions["town"],
                      village=regions["village"])
        assert codes_of(ALL.chain(picked)) == [regions["city"], regions["county"],
                                               regions["town"], regions["village"]]
        assert codes_of(OFFICES.chain(picked)) == [regions["city"], regions["county"],
                                                   regions["town"]]
        assert ALL.chain(form()) == []


@pytest.mark.parametrize("county", ["far_county", "bad", "spaces", "wide"])
def test_a_pick_that_does_not_fit_ends_the_chain(app: Flask, regions: dict[str, str],
                                                 county: str) -> None:
    """A county of another city, or text that is no code, drops it and the picks below."""
    sent = {"far_county": regions["far_county"], "bad": "<script>", "spaces": "   ",
            "wide": "４５０１０２０００００００"}[county]
    with app.test_request_context():
        picked = form(city=regions["city"], county=sent, town=regions["town"])
        assert codes_of(ALL.chain(picked)) == [regions["city"]]


def test_fill_offers_the_children_of_each_chosen_region(app: Flask,
                                                        regions: dict[str, str]) -> None:
    with app.test_request_context():
        picked = form(city=regions["city"], county=regions["county"])
        chain = ALL.chain(picked)
        ALL.fill(picked, chain)
        cities = dict(picked.city.choices)
        assert cities[""] == "请选择" and regions["far_city"] in cities
        assert picked.city.data == regions["city"]
        counties = dict(picked.county.choices)
        assert regions["other_county"] in counties and regions["far_county"] not in counties
        assert picked.county.data == regions["county"]
        assert regions["town"] in dict(picked.town.choices) and picked.town.data == ""
        # Below the next level to choose: nothing to offer yet.
        assert picked.village.choices == {"": CHOOSE_ABOVE_FIRST}
        assert picked.village.render_kw == {"disabled": True}
        assert picked.town.render_kw is None


def test_the_prompts_say_what_no_choice_means(app: Flask, regions: dict[str, str]) -> None:
    with app.test_request_context():
        picked = form(city=regions["city"])
        OFFICES.fill(picked, OFFICES.chain(picked))
        assert dict(picked.city.choices)[""] == "请选择（不选即省级）"
        assert dict(picked.county.choices)[""] == "请选择（不选即本级）"
        assert picked.town.choices == {"": CHOOSE_ABOVE_FIRST}


def test_a_links_region_fills_the_selects_down_to_the_link_depth(
        app: Flask, regions: dict[str, str]) -> None:
    with app.test_request_context():
        every = form()
        ALL.prefill(every, regions["village"])
        assert [every.city.data, every.county.data, every.town.data, every.village.data] \
            == [regions["city"], regions["county"], regions["town"], regions["village"]]
        offices = form()
        OFFICES.prefill(offices, regions["village"])
        assert [offices.city.data, offices.county.data, offices.town.data] \
            == [regions["city"], regions["county"], None]
        for unknown in ["", "999999999999", "<b>", regions["province"]]:
            untouched = form()
            ALL.prefill(untouched, unknown)
            assert untouched.city.data is None and untouched.county.data is None


def test_the_macro_draws_the_selects_in_order_and_the_refine_button(
        app: Flask, regions: dict[str, str]) -> None:
    with app.test_request_context():
        picked = form(city=regions["city"])
        ALL.fill(picked, ALL.chain(picked))
        html = render_template_string(
            '{% from "_macros/regions.html" import region_picks %}'
            "{{ region_picks(form, picker) }}", form=picked, picker=ALL)
    names = [html.index(f'name="{name}"') for name in ALL.fields]
    assert names == sorted(names)
    assert html.startswith('<div class="region-picks">')
    assert f'<option selected value="{regions["city"]}">' in html
    assert html.count("disabled") == 2  # town and village wait for a county
    assert html.endswith('<button type="submit" name="action" value="refine" '
                         'class="secondary" formnovalidate>显示下一级</button>')
