"""Accounts: staff, oversight, editors, donors and sellers; login, roles and region scope."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from sunshine.accounts import views  # noqa: E402,F401  (routes attach to bp)
