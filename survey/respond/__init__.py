"""Staff answering a survey: /respond."""
from flask import Blueprint

bp = Blueprint("respond", __name__, url_prefix="/respond")
