"""Raising a concern and following it up with an access key: /speakup."""
from flask import Blueprint

bp = Blueprint("speakup", __name__, url_prefix="/speakup")

from survey.speakup import raise_views, followup_views  # noqa: E402,F401
