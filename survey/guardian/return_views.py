"""The quarterly return: a CSV download (an audited export) for one financial quarter."""
from __future__ import annotations

from flask import Response, current_app, render_template

from survey import audit
from survey.auth import current_staff, staff_required
from survey.concerns import today
from survey.concerns import quarterly as ret
from survey.concerns.quarterly import Quarter, parse_quarter, quarter_of, to_csv
from survey.db import get_session
from survey.guardian import bp
from survey.guardian.forms import ReturnForm


def last_complete_quarter() -> Quarter:
    q = quarter_of(today())
    return Quarter(q.year - 1, 4) if q.number == 1 else Quarter(q.year, q.number - 1)


@bp.route("/return", methods=["GET", "POST"])
@staff_required("guardian")
def quarterly_return():
    form = ReturnForm()
    if not form.is_submitted():
        form.quarter.data = last_complete_quarter().label
    if form.validate_on_submit():
        quarter = parse_quarter(form.quarter.data)
        db = get_session()
        table = quarterly_return_table(db, quarter)
        audit.record(db, current_staff().id, "concern.return_export", "return", quarter.label, {"via": "web"})
        db.commit()
        return Response(to_csv(table), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="ftsu-return-{quarter.label}.csv"'})
    return render_template("guardian/return.html", form=form, min_count=current_app.config["SPEAKUP_RETURN_MIN_COUNT"]), \
        (400 if form.is_submitted() else 200)


def quarterly_return_table(db, quarter: Quarter):
    cfg = current_app.config
    return ret.quarterly_return(db, quarter, int(cfg["SPEAKUP_RETURN_MIN_COUNT"]), float(cfg.get("PROTECTION_LEVEL", 2)))
