"""The features' wiring: each app has its own registry, filled by the features' ``init_app`` in
the factory's order, which is the order the demo runs its steps in."""

from __future__ import annotations

import pytest

from sunshine import FEATURES, create_app
from sunshine.complaints.services import TARGET_TYPES
from sunshine.demo.services import DemoContext, build_demo
from sunshine.registry import SearchDoc, registry
from tests.apps import PASSWORD, make_config

DEMO_ORDER = ["search", "notify", "workdays", "complaints", "content", "funds", "market", "stats",
              "matching", "notices", "requests"]


def test_demo_steps_run_in_the_order_the_features_are_listed(app, monkeypatch) -> None:
    steps = registry(app).demo_steps
    assert [name for name, _ in steps] == DEMO_ORDER
    # Each step's feature is listed before the next one's in the factory.
    assert sorted(DEMO_ORDER, key=FEATURES.index) == DEMO_ORDER

    ran: list[str] = []

    def recorder(name: str):
        def step(ctx: DemoContext) -> None:
            ran.append(name)

        return step

    monkeypatch.setattr(registry(app), "demo_steps", [(n, recorder(n)) for n, _ in steps])
    build_demo(households=10, seed=1, password=PASSWORD)
    assert ran == DEMO_ORDER


def test_two_apps_do_not_share_registries(tmp_path) -> None:
    first = create_app(make_config(tmp_path / "a", f"sqlite:///{tmp_path / 'a.sqlite'}"))
    second = create_app(make_config(tmp_path / "b", f"sqlite:///{tmp_path / 'b.sqlite'}"))
    assert registry(first) is not registry(second)
    assert registry(first).search_sources == registry(second).search_sources

    def extra() -> list[SearchDoc]:
        return []

    registry(first).add_search_source("extra", extra)
    registry(first).add_sitemap(lambda: [("/extra", None)])
    assert "extra" in registry(first).search_sources
    assert "extra" not in registry(second).search_sources
    assert len(registry(second).sitemap_sources) == len(registry(first).sitemap_sources) - 1
    with first.app_context():
        assert registry() is registry(first)


def test_a_second_registration_of_the_same_key_is_refused(app) -> None:
    with pytest.raises(ValueError, match="registered twice"):
        registry(app).add_search_source("region", lambda: [])
    with pytest.raises(ValueError, match="registered twice"):
        registry(app).add_demo_step("stats", lambda ctx: None)


def test_every_kind_of_complaint_target_names_its_objects_through_a_feature(app) -> None:
    """A target kind without a resolver would be named from the raw id; each feature names
    its own through its public query instead (``unit`` is free text)."""
    assert set(registry(app).complaint_targets) == set(TARGET_TYPES) - {"unit"}
