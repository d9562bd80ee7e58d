"""Who is answering what, for the length of a visit: kept in the signed session cookie.

The cookie holds the kind ("token" or "open"), the draft key (the token's HMAC, or a
random open-link key), the wave id and the organisation id. Never the token itself.
Every request re-checks the wave's dates and, for a token, that it is still unused.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app, session

from survey.definitions.model import SurveyDefinition
from survey.errors import render_error
from survey.extensions import hash_token, keyring
from survey.models import Wave
from survey.respond import store
from survey.respond.drafts import decode_with_reached

STATE = "respond"
MARKER_COOKIE = "sv_answered"   # open-link waves answered in this browser: "3.7" (wave ids only)


def today() -> dt.date:
    return dt.date.today()


@dataclass
class Journey:
    kind: str              # "token" | "open"
    key: str               # draft key: the token's HMAC or a random open-link key
    wave_id: int
    org_id: int
    definition: SurveyDefinition
    saved: dict | None = None   # the answers saved so far (decrypted draft), None if none
    reached: int | str | None = None   # the page the last save led to (a number or drafts.CHECK)


# --- refusal pages: say which it is and nothing more ------------------------------------

def refuse(reason: str, wave: Wave | store.WaveDates | None = None):
    if reason == "unknown":
        return render_error(404, "This survey link does not work",
                            "Check that you opened or typed the whole link. If it still does not work, ask for a new one.")
    if reason == "used":
        return render_error(410, "This survey link has already been used",
                            "Each link can be used to answer once, and answers have been submitted with this one.")
    if reason == "not_open":
        when = f" It opens on {wave.opens_on.day} {wave.opens_on:%B %Y}." if wave is not None else ""
        return render_error(403, "This survey is not open yet", "Come back with the same link when it opens." + when)
    if reason == "closed":
        return render_error(410, "This survey has closed", "Answers can no longer be given.")
    # No state: the link was never opened in this browser, or cookies are blocked.
    return render_error(400, "We do not know which survey you are answering",
                        "Open your survey link again. This survey needs a cookie that lasts until you close "
                        "your browser to remember which survey you are answering, so allow cookies for this site.")


def wave_status(wave: Wave | store.WaveDates, day: dt.date) -> str | None:
    if wave.is_finished(day):
        return "closed"
    if day < wave.opens_on:
        return "not_open"
    return None


def token_refusal(token: str) -> tuple[str | None, store.InvitationRow | None, store.WaveDates | None]:
    """(reason or None, invitation, wave) for a token from a link: one query."""
    invitation = store.invitation(hash_token(token))
    if invitation is None:
        return "unknown", None, None
    if invitation.is_used:
        return "used", invitation, None
    return wave_status(invitation.wave, today()), invitation, invitation.wave


# --- the state in the session ---------------------------------------------------------

def start(kind: str, key: str, wave_id: int, org_id: int) -> None:
    session[STATE] = {"kind": kind, "key": key, "wave": wave_id, "org": org_id}


def new_open_key() -> str:
    return hash_token("open-link:" + secrets.token_urlsafe(24))


def state() -> dict | None:
    value = session.get(STATE)
    return value if isinstance(value, dict) and {"kind", "key", "wave", "org"} <= set(value) else None


def finish() -> None:
    session.pop(STATE, None)


def cached_definition(wave_id: int, definition_json: str | None = None) -> SurveyDefinition | None:
    """A wave's definition never changes, so each process keeps the parsed one: the pages
    can then still be shown (with the person's answers) when the database is down."""
    cache = current_app.extensions.setdefault("survey.respond.definitions", {})
    if definition_json is not None and wave_id not in cache:
        cache[wave_id] = SurveyDefinition.from_json(definition_json)
    return cache.get(wave_id)


def current():
    """(Journey, None) when the person may answer now, else (None, refusal response).

    One query reads the wave's dates, the token's flag and the saved draft (and the
    wave's definition until this process has parsed it)."""
    st = state()
    if st is None:
        return None, refuse("no_state")
    wave_id, token = st["wave"], st["kind"] == "token"
    with_definition = wave_id not in current_app.extensions.get("survey.respond.definitions", {})
    found = store.journey(wave_id, st["key"], token, with_definition)
    if found is None:
        finish()
        return None, refuse("unknown")
    if token:
        if found.is_used is None:
            return None, refuse("unknown")
        if found.is_used:
            return None, refuse("used")
    reason = wave_status(found.wave, today())
    if reason:
        return None, refuse(reason, found.wave)
    definition = cached_definition(wave_id, found.definition_json)
    saved, reached = decode_with_reached(keyring(), found.payload)
    return Journey(st["kind"], st["key"], wave_id, int(st["org"]), definition, saved, reached), None


# --- the open-link marker -------------------------------------------------------------

def answered_waves(request) -> set[int]:
    raw = request.cookies.get(MARKER_COOKIE, "")
    return {int(p) for p in raw.split(".") if p.isdigit()}


def mark_answered(request, response, wave_id: int) -> None:
    waves = sorted(answered_waves(request) | {wave_id})[-20:]
    response.set_cookie(MARKER_COOKIE, ".".join(str(w) for w in waves), max_age=180 * 24 * 3600,
                        httponly=True, samesite="Lax", path="/respond",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
