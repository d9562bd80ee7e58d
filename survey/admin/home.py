"""The administrator's landing page: a link to each area and a short status."""
from __future__ import annotations

import datetime as dt

from flask import current_app, render_template
from sqlalchemy import func, select

from survey.admin import bp
from survey.auth import staff_required
from survey.db import get_session
from survey.models import Organisation, StaffUser, Wave


@bp.route("/")
@staff_required("admin")
def index():
    db = get_session()
    today = dt.date.today()
    status = {
        "organisations": db.scalar(select(func.count()).select_from(Organisation)),
        "open_waves": db.scalar(select(func.count()).select_from(Wave).where(
            Wave.is_closed.is_(False), Wave.opens_on <= today, Wave.closes_on >= today)),
        "accounts": db.scalar(select(func.count()).select_from(StaffUser).where(StaffUser.is_active.is_(True))),
    }
    return render_template("admin/index.html", status=status, admin_endpoints=set(current_app.view_functions))
