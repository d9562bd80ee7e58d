"""Staff accounts: list, create (set-up link shown once), disable/enable, reset two factors.

The work is done by survey.auth.accounts, the same operations as `flask --app survey users`.
A set-up link is rendered in the response to the POST that made it and nowhere else: it is
not stored (only its hash), not flashed into the session cookie, not logged.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from survey.admin import bp
from survey.admin.common import actor_id, log
from survey.admin.forms import ConfirmForm, CreateStaffForm
from survey.auth import accounts, staff_required
from survey.db import get_session
from survey.models import StaffUser

ACTIONS = {
    "disable": ("Disable {email}?", "They are signed out at once and cannot sign in until an administrator enables the account again.", "Disable account"),
    "enable": ("Enable {email}?", "They can sign in again with their password and authenticator app.", "Enable account"),
    "reset": ("Reset the two factors of {email}?",
              "Their password and authenticator app stop working at once and they are signed out. "
              "You will see a new one-time set-up link to send them.", "Reset password and authenticator"),
}


def _setup_link(token: str) -> str:
    # The same public address as `flask --app survey users create` prints.
    from flask import request
    from survey.config import base_url
    return base_url(current_app.config, request) + "/auth/setup/" + token


def _user_or_404(user_id: int) -> StaffUser:
    user = get_session().get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/staff")
@staff_required("admin")
def staff_list():
    users = get_session().scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.email)).all()
    return render_template("admin/staff_list.html", users=users)


@bp.route("/staff/new", methods=["GET", "POST"])
@staff_required("admin")
def staff_new():
    form = CreateStaffForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        try:
            user, token = accounts.create_user(db, current_app.config["TOKEN_PEPPER"], form.email.data,
                                               form.role.data, actor_id=actor_id())
        except accounts.AccountError as exc:
            db.rollback()
            error = str(exc)
        else:
            db.commit()
            log("admin.staff.create", staff_id=user.id, role=user.role.value)
            return render_template("admin/staff_link.html", user=user, link=_setup_link(token), created=True,
                                   hours=accounts.SETUP_LINK_HOURS)
    return render_template("admin/staff_new.html", form=form, error=error)


@bp.route("/staff/<int:user_id>/<any(disable, enable, reset):action>", methods=["GET", "POST"])
@staff_required("admin")
def staff_action(user_id: int, action: str):
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if action == "disable" and user.id == actor_id():
        flash("You cannot disable your own account. Ask another administrator to do it.")
        return redirect(url_for("admin.staff_list"))
    if form.validate_on_submit():
        db = get_session()
        if action == "reset":
            token = accounts.reset_factors(db, current_app.config["TOKEN_PEPPER"], user, actor_id())
            db.commit()
            log("admin.staff.reset_factors", staff_id=user.id)
            return render_template("admin/staff_link.html", user=user, link=_setup_link(token), created=False,
                                   hours=accounts.SETUP_LINK_HOURS)
        accounts.set_active(db, user, action == "enable", actor_id())
        db.commit()
        log("admin.staff." + action, staff_id=user.id)
        flash(f"{user.email} is {'enabled' if action == 'enable' else 'disabled and signed out'}.")
        return redirect(url_for("admin.staff_list"))
    title, advice, button = ACTIONS[action]
    return render_template("admin/confirm.html", form=form, title=title.format(email=user.email), advice=advice,
                           button=button, warning=action != "enable", back=url_for("admin.staff_list"))
