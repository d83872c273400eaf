"""Sunshine (阳光扶贫公开平台): the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from sunshine.config import PROJECT_ROOT, load_config
from sunshine.web import Request

__all__ = ["create_app"]


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
    load_config(app, config)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_web(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_extensions(app: Flask) -> None:
    from sunshine.accounts.services import load_session_user
    from sunshine.extensions import csrf, db, limiter, login_manager, migrate

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
    _import_models()


def _import_models() -> None:
    """Import every model module so that metadata (and migrations) know all tables."""
    # isort: off
    import sunshine.accounts.models  # noqa: F401
    import sunshine.audit  # noqa: F401
    # First: the demo's deadlines in working days are counted with its calendar.
    import sunshine.workdays.demo  # noqa: F401  (registers the demo step)
    import sunshine.workdays.models  # noqa: F401
    import sunshine.complaints.demo  # noqa: F401  (registers the demo step)
    import sunshine.complaints.indexing  # noqa: F401  (registers the search source)
    import sunshine.complaints.models  # noqa: F401
    import sunshine.content.demo  # noqa: F401  (registers the demo step)
    import sunshine.content.indexing  # noqa: F401  (registers the search sources)
    import sunshine.content.models  # noqa: F401
    import sunshine.funds.demo  # noqa: F401  (registers the demo step: funds and projects)
    import sunshine.funds.importing  # noqa: F401  (registers the importer)
    import sunshine.funds.indexing  # noqa: F401  (registers the search source)
    import sunshine.funds.models  # noqa: F401
    import sunshine.funds.records  # noqa: F401  (registers the public record's types)
    import sunshine.market.demo  # noqa: F401  (registers the demo step)
    import sunshine.market.indexing  # noqa: F401  (registers the search source)
    import sunshine.market.models  # noqa: F401
    import sunshine.projects.importing  # noqa: F401
    import sunshine.projects.indexing  # noqa: F401
    import sunshine.projects.models  # noqa: F401
    import sunshine.projects.records  # noqa: F401
    import sunshine.regions.models  # noqa: F401
    import sunshine.regions.search  # noqa: F401  (registers the search source)
    import sunshine.stats.demo  # noqa: F401  (registers the demo step)
    import sunshine.stats.importer  # noqa: F401  (registers the importers)
    import sunshine.stats.models  # noqa: F401
    # After the statistics step: the demo needs are for households of the demo register.
    import sunshine.matching.demo  # noqa: F401  (registers the demo step)
    import sunshine.matching.indexing  # noqa: F401  (registers the search source)
    import sunshine.matching.models  # noqa: F401
    # Notices draw households from the demo register and link demo projects and funds; the
    # module imports those demo steps first, so that its own step runs after them.
    import sunshine.notices.demo  # noqa: F401  (registers the demo step)
    import sunshine.notices.indexing  # noqa: F401  (registers the search source)
    import sunshine.notices.models  # noqa: F401
    import sunshine.notices.objections  # noqa: F401  (registers the complaint target)
    # isort: on


def register_blueprints(app: Flask) -> None:
    from sunshine.accounts import bp as accounts_bp
    from sunshine.admin import bp as admin_bp
    from sunshine.admin import regions as admin_regions
    from sunshine.api import bp as api_bp
    from sunshine.complaints import admin as complaints_admin
    from sunshine.complaints import views as complaints_views
    from sunshine.content import admin as content_admin
    from sunshine.content import views as content_views
    from sunshine.funds import admin as funds_admin
    from sunshine.funds import views as funds_views
    from sunshine.market import admin as market_admin
    from sunshine.market import sellers as market_sellers
    from sunshine.market import views as market_views
    from sunshine.matching import admin as matching_admin
    from sunshine.matching import api as matching_api
    from sunshine.matching import views as matching_views
    from sunshine.notices import admin as notices_admin
    from sunshine.notices import api as notices_api
    from sunshine.notices import views as notices_views
    from sunshine.projects import admin as projects_admin
    from sunshine.projects import views as projects_views
    from sunshine.public import bp as public_bp
    from sunshine.regions import views as region_views
    from sunshine.search import bp as search_bp
    from sunshine.stats import admin as stats_admin
    from sunshine.stats import views as stats_views
    from sunshine.workdays import admin as workdays_admin

    for blueprint in (public_bp, accounts_bp, admin_bp, api_bp, search_bp,
                      region_views.bp, admin_regions.bp, content_views.news_bp,
                      content_views.policies_bp, content_views.feeds_bp, content_views.api_bp,
                      content_admin.bp, complaints_views.bp, complaints_views.api_bp,
                      complaints_admin.bp, funds_views.bp, funds_views.api_bp, funds_admin.bp,
                      projects_views.bp, projects_views.api_bp, projects_admin.bp,
                      stats_views.bp, stats_views.api_bp, stats_admin.bp,
                      market_views.bp, market_views.api_bp, market_sellers.bp, market_admin.bp,
                      matching_views.bp, matching_api.api_bp, matching_admin.bp,
                      notices_views.bp, notices_views.feeds_bp, notices_api.api_bp,
                      notices_admin.bp, workdays_admin.bp):
        app.register_blueprint(blueprint)


def register_web(app: Flask) -> None:
    from sunshine import errors, security, templating
    from sunshine.stats import front

    errors.register(app)
    front.register(app)  # inside the security middleware, which must see every response
    security.register(app)
    templating.register(app)


def register_commands(app: Flask) -> None:
    from sunshine.cli import register

    register(app)
