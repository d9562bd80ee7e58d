"""Raising a concern: the start page, the form, the reference and key shown once.

Nothing about the sender is logged or stored: the client address is only ever handed
to the rate limiter, which keeps a keyed hash of it for the length of its window.
"""
from __future__ import annotations

import datetime as dt
import json
import time

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from survey.ratelimit import client_identity
from survey.concerns import ConcernInput, new_reference, raise_concern, today
from survey.concerns.queue import add_working_days, parse_holidays
from survey.concerns.cases import SCOPE_SUBMIT_CLIENT
from survey.crypto import KeyRingError, new_access_key
from survey.db import get_session
from survey.extensions import access_key_hasher, keyring, ratelimiter
from survey.models import Organisation, OrgLevel
from survey.speakup import bp
from survey.speakup.forms import PREFER_NOT, RaiseForm, SavedKeyForm

NEW_CASE = "speakup_new"        # the reference and key, encrypted, until the person says they saved them
SHOWN = "speakup_shown"         # the reference whose key was shown (for the confirmation)


def _now() -> float:
    return time.time()


def guardian_contact(org: Organisation | None) -> str:
    """The guardian of the organisation or, failing that, of the nearest organisation above
    it (a practice's PCN, place or ICS), else DEFAULT_GUARDIAN_CONTACT."""
    contacts = current_app.config.get("GUARDIAN_CONTACTS") or {}
    seen = 0
    while org is not None and seen < 10:
        if org.code in contacts:
            return contacts[org.code]
        org, seen = org.parent, seen + 1
    return current_app.config["DEFAULT_GUARDIAN_CONTACT"]


def _org_from_query(db) -> Organisation | None:
    code = (request.args.get("org") or "").strip()[:32]
    return db.scalar(select(Organisation).where(Organisation.code == code)) if code else None


@bp.route("/")
def index():
    db = get_session()
    org = _org_from_query(db)
    contacts = current_app.config.get("GUARDIAN_CONTACTS") or {}
    listed = []
    if org is None and contacts:
        names = dict(db.execute(select(Organisation.code, Organisation.name).where(Organisation.code.in_(list(contacts)))).all())
        listed = sorted(((names.get(code, code), text) for code, text in contacts.items()), key=lambda p: p[0])
    return render_template("speakup/index.html", org=org, guardian=guardian_contact(org), listed=listed)


LEVEL_GROUPS = [(OrgLevel.practice, "GP practices"), (OrgLevel.pcn, "Primary care networks (PCNs)"),
                (OrgLevel.place, "Places"), (OrgLevel.ics, "Integrated care systems (ICSs)")]


def _org_choices(db) -> list[tuple[str, str]]:
    orgs = db.execute(select(Organisation.id, Organisation.name, Organisation.level).order_by(Organisation.name)).all()
    choices = [(PREFER_NOT, "Prefer not to say")] + [(str(i), n) for i, n, _lv in orgs]
    # The list people see: practices first, then PCNs, places and ICSs, each alphabetical.
    groups = [(label, [(str(i), n) for i, n, lv in orgs if lv == level]) for level, label in LEVEL_GROUPS]
    # Kept per process, so the form can still be shown as it was sent when the database is down.
    current_app.extensions["survey.speakup.org_choices"] = choices
    current_app.extensions["survey.speakup.org_groups"] = [g for g in groups if g[1]]
    return choices


def org_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    return list(current_app.extensions.get("survey.speakup.org_groups") or [])


def _choices_without_database() -> list[tuple[str, str]]:
    choices = list(current_app.extensions.get("survey.speakup.org_choices") or [(PREFER_NOT, "Prefer not to say")])
    sent = (request.form.get("org") or "").strip()[:12]
    if sent.isdigit() and sent not in {value for value, _ in choices}:
        choices.append((sent, "The organisation you chose"))
    return choices


def _unavailable(db, form):
    """The database (or the rate-limit store) cannot be reached: the form again, as sent, with status 503."""
    try:
        db.rollback()
    except OperationalError:
        pass
    form.org.choices = _choices_without_database()
    if request.method == "POST":
        form.validate()
    return render_template("speakup/raise.html", form=form, org_groups=org_groups(), limited=False, unavailable=True), 503


def _remember_once(reference: str, key: str, anonymous: bool = True, notify: bool = False) -> None:
    # The signed session cookie is readable by its holder, so the key travels encrypted,
    # with the time after which it is never shown again (a copied cookie expires with it).
    until = _now() + float(current_app.config["SPEAKUP_KEY_SHOWN_SECONDS"])
    cfg = current_app.config
    ack = add_working_days(today(), int(cfg["GUARDIAN_ACK_WORKING_DAYS"]), parse_holidays(cfg.get("GUARDIAN_HOLIDAYS")))
    session[NEW_CASE] = keyring().encrypt(json.dumps({"ref": reference, "key": key, "until": until, "ack": ack.isoformat(),
                                                      "anon": anonymous, "notify": notify})).decode("ascii")
    session[SHOWN] = reference


def _pending() -> dict | None:
    """The reference and key still to be confirmed as saved, or None (never shown again after
    the box was ticked, nor after SPEAKUP_KEY_SHOWN_SECONDS)."""
    blob = session.get(NEW_CASE)
    if blob is None:
        return None
    try:
        shown = json.loads(keyring().decrypt(blob.encode("ascii")))
        fresh = float(shown.get("until", 0)) > _now()
    except (KeyRingError, ValueError, TypeError, AttributeError):
        fresh = False
    if not fresh:
        session.pop(NEW_CASE, None)
        return None
    return shown


@bp.route("/raise", methods=["GET", "POST"])
def raise_concern_page():
    db = get_session()
    form = RaiseForm()
    try:
        form.org.choices = _org_choices(db)
        if request.method == "GET":
            org = _org_from_query(db)
            form.org.data = str(org.id) if org else PREFER_NOT
    except OperationalError:
        return _unavailable(db, form)
    if form.validate_on_submit():
        try:
            allowed = ratelimiter().hit(current_app.config["RATELIMIT_SPEAKUP_SUBMIT"], SCOPE_SUBMIT_CLIENT, client_identity(request))
        except RedisError:
            return _unavailable(db, form)          # the shared rate-limit store is down
        if not allowed:
            return render_template("speakup/raise.html", form=form, org_groups=org_groups(), limited=True), 429
        if (form.website.data or "").strip():
            # A bot filled the honeypot: it sees the usual pages, and nothing is stored.
            _remember_once(new_reference(), new_access_key(), form.contact_mode.data != "confidential",
                           bool((form.notify_address.data or "").strip()) and form.contact_mode.data == "confidential")
            return redirect(url_for("speakup.raised"), code=303)
        org_id = int(form.org.data) if (form.org.data or "").isdigit() else None
        anonymous = form.contact_mode.data != "confidential"
        address = None if anonymous else ((form.notify_address.data or "").strip() or None)
        data = ConcernInput(text=form.text.data, elements=list(form.elements.data or []), org_id=org_id,
                            anonymous=anonymous, contact=None if anonymous else form.contact.data,
                            notify_address=address)
        try:
            case = raise_concern(db, keyring(), access_key_hasher(), data)
            db.commit()
        except OperationalError:
            return _unavailable(db, form)
        _remember_once(case.reference, case.access_key, anonymous, address is not None)
        return redirect(url_for("speakup.raised"), code=303)
    return render_template("speakup/raise.html", form=form, org_groups=org_groups(), limited=False)


@bp.route("/raised", methods=["GET", "POST"])
def raised():
    form = SavedKeyForm()
    shown = _pending()
    if request.method == "POST":
        if form.validate_on_submit():
            session.pop(NEW_CASE, None)
            session.pop(SHOWN, None)
            return redirect(url_for("speakup.next_steps"), code=303)
        if shown is not None:
            # Not ticked yet: the key is shown again with the error, until it is ticked.
            return render_template("speakup/raised.html", form=form, reference=shown["ref"], key=shown["key"], again=False,
                                   shown=_facts(shown)), 400
        # Too late (or already confirmed): the key is not kept any more, say so plainly.
        return render_template("speakup/raised.html", form=form, reference=session.get(SHOWN), key=None, again=True), 400
    if shown is None:
        return render_template("speakup/raised.html", form=form, reference=session.get(SHOWN), key=None, again=True)
    return render_template("speakup/raised.html", form=form, reference=shown["ref"], key=shown["key"], again=False,
                           shown=_facts(shown))


def _facts(shown: dict) -> dict:
    """What the key page says about replies: by when, and whether an e-mail will tell them."""
    try:
        ack = dt.date.fromisoformat(shown.get("ack") or "")
    except (TypeError, ValueError):
        ack = None
    return {"ack": ack, "anonymous": bool(shown.get("anon", True)), "notify": bool(shown.get("notify"))}


@bp.route("/next")
def next_steps():
    return render_template("speakup/next.html")
