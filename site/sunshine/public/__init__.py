"""The public shell: home page, pages still being built, crawler files, health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from sunshine.public import views  # noqa: E402,F401
