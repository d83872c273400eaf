"""The working-day calendar (工作日历): which days count when a deadline is counted in
working days — a complaint's reply, a notice's period, a disclosure's deadline."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the calendar's back office and its demo step (holidays of 2025–2026)."""
    from sunshine.workdays import admin, demo, models  # noqa: F401  (models: tables in metadata)

    reg = registry(app)
    app.register_blueprint(admin.bp)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS)
    reg.add_demo_step("workdays", demo.demo_calendar)
