"""Back office shell: dashboard, user management, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from sunshine.admin import views  # noqa: E402,F401


@bp.app_context_processor
def _navigation() -> dict[str, object]:
    from flask_login import current_user

    from sunshine.admin.dashboard import sections_for

    return {"admin_sections": lambda: sections_for(current_user)}
