"""Staff sign-in: password (argon2id) and TOTP, both required; one-time set-up links."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from survey.auth import views  # noqa: E402,F401
from survey.auth.access import staff_required, current_staff  # noqa: E402,F401
