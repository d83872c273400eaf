"""Back office shell: dashboard, user management, audit log."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the dashboard, region browser, user management and audit log, with the back office's
    own navigation links, tiles and audit-log labels."""
    from sunshine.accounts.models import Role
    from sunshine.admin import dashboard, regions, services, views

    reg = registry(app)
    for blueprint in (views.bp, regions.bp):
        app.register_blueprint(blueprint)
    for section in dashboard.SECTIONS:
        reg.add_section(section)
    reg.add_tiles(dashboard.foundation_tiles)
    reg.add_audit_labels(services.ACCOUNT_LABELS)
    reg.add_audit_labels(services.ACCESS_LABELS, readers=[Role.STAFF])
