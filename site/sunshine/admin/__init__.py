"""Back office shell: dashboard, user management, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from sunshine.admin import views  # noqa: E402,F401
