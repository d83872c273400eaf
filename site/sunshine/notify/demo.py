"""Demo step: a villager follows the first county by e-mail before the features publish, so
that a fresh ``make run`` has mail to read (the notices of that county)."""

from __future__ import annotations

from typing import Any

from sunshine.notify import subscriptions
from sunshine.notify.models import Mode

DEMO_VILLAGER = "villager@example.org"


def follow_first_county(ctx: Any) -> None:
    """Takes the demo's ``DemoContext``."""
    if ctx.counties:
        subscriptions.subscribe_confirmed(
            DEMO_VILLAGER, subscriptions.resolve("region", ctx.counties[0]), Mode.IMMEDIATE)
