"""Administration: organisations, surveys, waves, tokens, accounts: /admin."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from survey.admin import home, orgs, staff, surveys, waves, tokens  # noqa: E402,F401
