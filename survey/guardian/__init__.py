"""The Freedom to Speak Up guardian's desk: /guardian. Role `guardian` only; every view
of a case, reveal, message, note, status change and export is an audit event."""
from flask import Blueprint

bp = Blueprint("guardian", __name__, url_prefix="/guardian")

from survey.guardian import queue_views, case_views, return_views  # noqa: E402,F401
