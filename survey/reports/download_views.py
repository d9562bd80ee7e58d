"""/reports downloads (the same files the report command writes) and comments."""
from __future__ import annotations

from flask import Response, abort, render_template, request, stream_with_context

from survey.auth import staff_required
from survey.db import get_session, session_scope
from survey.extensions import keyring
from survey.releases.comments import comment_organisations, read_comments
from survey.releases.outputs import iter_indicators_csv, notes_text, rates_csv
from survey.releases.xlsx import stored_workbook
from survey.reports import bp
from survey.reports.common import labels, min_cell, record_view, release_or_refusal, today, wave_or_404

FILES = {
    "indicators.csv": "text/csv",
    "indicators.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "response_rates.csv": "text/csv",
    "README.txt": "text/plain",
}


@bp.route("/waves/<int:wave_id>/download/<name>")
@staff_required("edi_lead")
def download(wave_id: int, name: str):
    if name not in FILES:
        abort(404)
    wave = wave_or_404(wave_id)
    release, refusal = release_or_refusal(wave)
    if refusal:
        return refusal
    db = get_session()
    if name == "indicators.csv":
        data = stream_with_context(_indicators_csv(wave, release))   # one indicator at a time
    elif name == "indicators.xlsx":
        data = stored_workbook(db, wave, release, labels())      # committed by record_view
    elif name == "README.txt":
        data = notes_text(wave, release, labels())
    else:
        data = rates_csv(wave, release)
    record_view("report.download", wave, file=name, version=release.version)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in wave.name)[:60]
    return Response(data, mimetype=FILES[name], headers={
        "Content-Disposition": f'attachment; filename="{safe}-v{release.version}-{name}"'})


def _indicators_csv(wave, release):
    """The CSV's chunks, read on a session of the stream's own. The request's session is
    closed when the view returns, before the first chunk is sent: reading on it would open
    a second transaction that nothing closes (on PostgreSQL, locks held until the garbage
    collector finds it). This one is closed when the stream ends or the client goes."""
    with session_scope() as session:
        yield from iter_indicators_csv(session, wave, release)


@bp.route("/waves/<int:wave_id>/comments")
@staff_required("edi_lead")
def comments(wave_id: int):
    wave = wave_or_404(wave_id)
    release, refusal = release_or_refusal(wave)
    if refusal:
        return refusal
    db = get_session()
    orgs = comment_organisations(db, wave, min_cell(), today())
    org = request.args.get("org") or (orgs[0].code if orgs else "")
    items = []
    if orgs:
        try:
            items = read_comments(db, wave, org, min_cell(), today(), keyring())
        except LookupError:
            return render_template("reports/comments.html", wave=wave, orgs=orgs, org=org, items=[],
                                   not_allowed=True, min_cell=min_cell(), page_title=f"Comments: {wave.name}"), 400
        record_view("report.comments", wave, org=org, shown=len(items))
    return render_template("reports/comments.html", wave=wave, orgs=orgs, org=org, items=items, not_allowed=False,
                           min_cell=min_cell(), page_title=f"Comments: {wave.name}")
