"""The EDI lead's results and downloads: /reports."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
