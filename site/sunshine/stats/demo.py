"""Demo step: a synthetic register under the demo villages, then the rollups."""

from __future__ import annotations

import logging

from sunshine.demo.services import DemoContext
from sunshine.stats import rollup, synthetic
from sunshine.stats.idnumbers import id_hasher

log = logging.getLogger(__name__)

#: The first county (the one the browser checks and the demo's accounts start with) gets a
#: fifth of the households, so that its pages show figures down to its villages; the rest is
#: spread thin, as poverty was: heavier in some counties than others.
FOCUS_SHARE = 0.2


def village_weights(ctx: DemoContext) -> list[float]:
    counties = sorted({v[:6] for v in ctx.villages})
    county_weight = {c: ctx.rng.choice((0.3, 0.6, 1.0, 1.0, 1.5, 2.5)) for c in counties}
    focus_county = counties[0] if counties else ""
    focus = [v for v in ctx.villages if v.startswith(focus_county)]
    rest = sum(county_weight[v[:6]] for v in ctx.villages if not v.startswith(focus_county))
    weights = []
    for v in ctx.villages:
        if v.startswith(focus_county) and focus and rest:
            weights.append(FOCUS_SHARE / len(focus) * rest / (1 - FOCUS_SHARE))
        else:
            weights.append(county_weight[v[:6]])
    return weights


def synthetic_register(ctx: DemoContext) -> None:
    """ctx.households made-up households (labelled synthetic) and their members."""
    households = list(synthetic.register(ctx.rng, ctx.villages, ctx.households,
                                         village_weights(ctx)))
    ctx.summary["members_synthetic"] = synthetic.insert(households, id_hasher())
    ctx.summary["households_synthetic"] = len(households)
    build = rollup.rebuild_all()
    ctx.summary["stats_regions"] = build.regions
    ctx.summary["stats_populations"] = rural_populations(ctx)


def rural_populations(ctx: DemoContext) -> int:
    """Made-up rural populations (so that 贫困发生率 shows): each village's registered people
    of 2014 are 8–30 % of it; higher levels add up their villages."""
    from sqlalchemy import insert, select

    from sunshine.extensions import db
    from sunshine.regions import codes
    from sunshine.stats.layout import layout
    from sunshine.stats.models import Rollup, RuralPopulation

    lay = layout()
    people = lay("reg_p", 2014)
    totals: dict[str, int] = {}
    for code, cells in db.session.execute(
            select(Rollup.region_code, Rollup.cells).where(Rollup.level == 5)):
        registered = rollup.unpack(cells)[people]
        population = int(registered / ctx.rng.uniform(0.08, 0.3)) + ctx.rng.randint(300, 900)
        for region in [code, *codes.ancestors_of(code)]:
            totals[region] = totals.get(region, 0) + population
    if totals:
        db.session.execute(insert(RuralPopulation), [
            {"region_code": code, "people": n, "source": "演示数据（合成）"}
            for code, n in totals.items()])
    return len(totals)
