from __future__ import annotations

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for

from survey.ratelimit import client_identity
from survey.auth import accounts, bp
from survey.auth.access import sign_in as start_session, sign_out as end_session, current_staff
from survey.auth.forms import SetupForm, SignInForm
from survey.db import get_session
from survey.errors import render_error
from survey.extensions import keyring, password_hasher, ratelimiter
from survey.models import Role

# Each staff blueprint has an `index` endpoint: the landing page for its role.
HOME_FOR_ROLE = {Role.guardian: "guardian.index", Role.edi_lead: "reports.index", Role.admin: "admin.index"}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        # Per account (guessing one password) and per client (tying a worker up with slow
        # hashes by rotating addresses). The client's address only keys the limiter's hash.
        limiter = ratelimiter()
        if not (limiter.hit(current_app.config["RATELIMIT_STAFF_LOGIN_CLIENT"], "staff-login-client", client_identity(request))
                and limiter.hit(current_app.config["RATELIMIT_STAFF_LOGIN"], "staff-login", email)):
            return render_error(429)
        db = get_session()
        user = accounts.authenticate(db, password_hasher(), keyring(), email, form.password.data, form.code.data)
        if user is None:
            db.rollback()
            error = "The email address, password or code is not right. Check them and try again."
        else:
            db.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")) or url_for(HOME_FOR_ROLE[user.role]))
    return render_template("auth/sign_in.html", form=form, error=error)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    end_session()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    db = get_session()
    pepper = current_app.config["TOKEN_PEPPER"]
    user = accounts.user_for_setup_token(db, pepper, token)
    if user is None:
        return render_error(404, "This set-up link does not work",
                            "It has been used, has expired (links last 72 hours) or was mistyped. Ask an administrator for a new one.")
    # The TOTP secret is chosen once per set-up visit and kept in the signed session
    # until the account is saved, so a page reload shows the same QR code.
    secret = session.get("setup_secret")
    if not secret or session.get("setup_for") != user.id:
        secret = accounts.new_totp_secret()
        session["setup_secret"] = secret
        session["setup_for"] = user.id
    form = SetupForm()
    error = None
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            error = "The two passwords are not the same. Type them again."
        else:
            error = accounts.complete_setup(db, password_hasher(), keyring(), user, form.password.data, secret, form.code.data)
        if error is None:
            db.commit()
            session.pop("setup_secret", None)
            session.pop("setup_for", None)
            flash("Your account is ready. Sign in with your password and a new code.")
            return redirect(url_for("auth.sign_in"))
    uri = accounts.provisioning_uri(secret, user.email)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template("auth/setup.html", form=form, error=error, user=user, secret=secret, qr=qr)


@bp.app_context_processor
def _inject_staff():
    return {"current_staff": current_staff}
