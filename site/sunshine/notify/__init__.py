"""Follow and be told: the mail outbox, subscriptions without an account, and the small API
through which features announce what happened (``events.announce``) or tell one person
(``outbox.tell``), in their own transactions. Knows no feature: features register what may be
followed, what falls due and their mail jobs in the registry."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the subscription pages, the follow macro's key signer, ``sunshine mail``, the
    staff's daily digest and the follower count on the dashboard."""
    from sunshine.notify import (  # noqa: F401  (models: tables)
        cli,
        demo,
        models,
        staff,
        subscriptions,
        views,
    )
    from sunshine.registry import registry

    reg = registry(app)
    reg.add_tiles(staff.follower_tiles)
    reg.add_mail_job("staff_digest", staff.queue_staff_digests)
    reg.add_demo_step("notify", demo.follow_first_county)
    app.register_blueprint(views.bp)
    app.add_template_global(subscriptions.sign_key, "follow_key")
    app.cli.add_command(cli.mail_cli)
