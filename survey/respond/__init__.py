"""Staff answering a survey: /respond."""
from flask import Blueprint

bp = Blueprint("respond", __name__, url_prefix="/respond")

from survey.respond import entry, journey  # noqa: E402,F401  (routes register on bp)
