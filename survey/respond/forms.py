"""Forms of the answering pages. The questions come from the survey definition and are
read by survey.answers.validate_section; these forms carry the CSRF token."""
from __future__ import annotations

from flask import current_app, g, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf


class SubmitForm(FlaskForm):
    """Check your answers: submit."""


class StartAgainForm(FlaskForm):
    """Open link, browser already used: a different person starts."""


# Flask-WTF signs the session's CSRF token afresh for every page (a timestamp, a JSON
# dump and an HMAC: a tenth of an answering page). Without a time limit the timestamp is
# never checked, so the token first signed for a session's raw token is as valid on
# every later page: each process keeps it, by signing key and raw token (bounded).
# Every POST is still checked by CSRFProtect against the session, as before.
_SIGNED: dict[tuple[str, str], str] = {}
_SIGNED_MAX = 4096


def csrf_token() -> str:
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    if config.get("WTF_CSRF_TIME_LIMIT") is not None or field in g:
        return generate_csrf()
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get(field)
    token = _SIGNED.get((secret, raw)) if isinstance(raw, str) else None
    if token is None:
        # signs the session's raw token, making one on a session's first page: kept from
        # that page on (a token first kept on the second page differed from the first's
        # whenever the clock's second turned between them)
        token = generate_csrf()
        raw = session.get(field)
        if isinstance(raw, str):
            if len(_SIGNED) >= _SIGNED_MAX:
                _SIGNED.clear()
            _SIGNED[(secret, raw)] = token
    setattr(g, field, token)
    return token
