"""Sunshine (阳光扶贫公开平台): the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from sunshine.config import PROJECT_ROOT, load_config
from sunshine.web import Request, RowNumber, SessionInterface

__all__ = ["create_app"]

#: Every feature, each a package with ``init_app(app)``. The order is the demo's order: a demo
#: step may use what the steps before it built. Mail (notify) comes before the features (its
#: demo follower must exist before they publish); the working-day calendar next (the
#: demo's deadlines in working days are counted with it); statistics before matching (the demo
#: needs are for households of the demo register); notices after funds, projects, statistics
#: and matching (they draw households from the register and link demo projects and funds);
#: requests last (they ask about the demo's funds and projects).
FEATURES = (
    "accounts",
    "admin",
    "regions",
    "public",
    "api",
    "search",
    "notify",
    "workdays",
    "complaints",
    "content",
    "funds",
    "projects",
    "market",
    "stats",
    "matching",
    "notices",
    "requests",
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the site. ``config`` overrides everything else (tests pass a mapping here)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.request_class = Request
    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = RowNumber  # before any route is added
    load_config(app, config)
    register_logging(app)
    register_extensions(app)
    register_features(app)
    register_web(app)  # after the features: the security middleware wraps their middleware
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_extensions(app: Flask) -> None:
    # The kernel's tables in the metadata: the audit log and the rate-limit counters (with
    # their storage for Flask-Limiter, "database://").
    from sunshine import audit, ratelimit  # noqa: F401
    from sunshine.accounts.sessions import load_session_user
    from sunshine.extensions import csrf, db, limiter, login_manager, migrate
    from sunshine.pagecache import versions  # noqa: F401  (the kept pages' data versions)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "site" / "sunshine" / "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)


def register_features(app: Flask) -> None:
    """Let each feature register its blueprints, models and contributions, in ``FEATURES`` order."""
    from importlib import import_module

    from sunshine import registry

    registry.init_app(app)
    for name in FEATURES:
        import_module(f"sunshine.{name}").init_app(app)


def register_web(app: Flask) -> None:
    from sunshine import errors, httpcache, pagecache, security, templating

    errors.register(app)
    pagecache.register(app)  # inside the security middleware, which sees every response
    security.register(app)  # outermost middleware: it must see every response
    templating.register(app)
    httpcache.register(app)  # its after-request step runs last, whatever the order here


def register_commands(app: Flask) -> None:
    from sunshine.cli import register

    register(app)
