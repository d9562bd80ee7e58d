"""The EDI lead's results and downloads: /reports."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from survey.reports import views, indicator_views, download_views  # noqa: E402,F401
