"""The read-only public JSON API under /api/v1/."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from sunshine.api import views  # noqa: E402,F401
