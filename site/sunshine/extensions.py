"""Flask extensions, created unbound and bound in the application factory."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from sunshine.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reading_is_never_limited() -> bool:
    """Limits guard submissions (POST); reading a page spends and checks none. That also keeps
    the limiter's per-request lookups (a quarter of a cached page's cost) off every page."""
    return request.method in ("GET", "HEAD", "OPTIONS")
