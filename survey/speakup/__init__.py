"""Raising a concern and following it up with an access key: /speakup."""
from flask import Blueprint

bp = Blueprint("speakup", __name__, url_prefix="/speakup")
