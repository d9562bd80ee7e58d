"""Who is signed in, and the decorator that guards every staff route."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from survey.db import get_session
from survey.models import Role, StaffUser


def current_staff() -> StaffUser | None:
    """The signed-in account, with both factors, active, and its session still current."""
    if "staff" in g and g.get("staff_request") is request._get_current_object():
        return g.staff
    user = None
    staff_id = session.get("staff_id")
    if staff_id is not None and session.get("mfa") is True:
        candidate = get_session().get(StaffUser, staff_id)
        if candidate is not None and candidate.is_active and candidate.session_epoch == session.get("staff_epoch"):
            user = candidate
    g.staff = user
    g.staff_request = request._get_current_object()
    return user


def sign_in(user: StaffUser) -> None:
    session.clear()
    session["staff_id"] = user.id
    session["staff_epoch"] = user.session_epoch
    session["mfa"] = True
    session.permanent = True


def sign_out() -> None:
    session.clear()


def staff_required(*roles: Role | str):
    """Require a signed-in account (password and TOTP) with one of `roles`."""
    allowed = {Role(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_staff()
            if user is None:
                return redirect(url_for("auth.sign_in", next=request.path))
            if allowed and user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.staff_roles = allowed
        return wrapped

    return decorator
