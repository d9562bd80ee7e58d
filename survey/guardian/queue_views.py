"""The queue: every case, filtered by status, element, organisation and age."""
from __future__ import annotations

from flask import current_app, render_template, request

from survey.auth import staff_required
from survey.concerns import today
from survey.concerns.queue import AGES, NOT_STATED, OPEN, QueueFilter, list_queue, organisations_in_use, parse_holidays
from survey.db import get_session
from survey.guardian import bp
from survey.models import ELEMENTS, ConcernStatus


def ack_target() -> int:
    return int(current_app.config.get("GUARDIAN_ACK_WORKING_DAYS", 2))


def holidays() -> list:
    return parse_holidays(current_app.config.get("GUARDIAN_HOLIDAYS", []))


@bp.route("/")
@staff_required("guardian")
def index():
    """The queue (endpoint `guardian.index`, where a guardian lands after signing in)."""
    args = request.args
    filt = QueueFilter(status=args.get("status", OPEN), element=args.get("element"), org=args.get("org"),
                       age=args.get("age")).clean()
    db = get_session()
    rows = list_queue(db, filt, today(), ack_target(), holidays())
    statuses = [(OPEN, "Open (not closed or withdrawn)"), ("", "All")] + [(s.value, s.label) for s in ConcernStatus]
    orgs = [("", "All")] + [(str(i), n) for i, n in organisations_in_use(db)] + [(NOT_STATED, "Not stated")]
    return render_template("guardian/queue.html", rows=rows, filt=filt, statuses=statuses, elements=ELEMENTS,
                           orgs=orgs, age_options=[("", "Any age")] + [(k, v[0]) for k, v in AGES.items()], target=ack_target(), Status=ConcernStatus)
