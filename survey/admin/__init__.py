"""Administration: organisations, surveys, waves, tokens, accounts: /admin."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from survey.admin import audit_trail, home, orgs, staff, surveys, tokens, waves  # noqa: E402,F401
