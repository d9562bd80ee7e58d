"""Staff answering a survey: /respond."""
from flask import Blueprint

bp = Blueprint("respond", __name__, url_prefix="/respond")

from survey.respond import entry, journey, store  # noqa: E402,F401  (routes register on bp)

bp.teardown_request(store.release)
