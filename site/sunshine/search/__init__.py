"""Site search: the only package that imports Whoosh. It owns the schema and the analyzer."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from sunshine.search import views  # noqa: E402,F401
