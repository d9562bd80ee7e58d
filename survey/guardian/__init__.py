"""The Freedom to Speak Up guardian's desk: /guardian."""
from flask import Blueprint

bp = Blueprint("guardian", __name__, url_prefix="/guardian")
