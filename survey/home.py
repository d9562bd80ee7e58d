"""The start page: where each kind of visitor goes."""
from flask import Blueprint, current_app, render_template, send_from_directory

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return render_template("home/index.html")


@bp.route("/accessibility")
def accessibility():
    return render_template("home/accessibility.html")


@bp.route("/assets/images/<path:name>")
def nhsuk_assets(name: str):
    """NHS.UK frontend's CSS refers to its icons at /assets/images/."""
    return send_from_directory(current_app.static_folder + "/nhsuk/assets/images", name, max_age=604800)
