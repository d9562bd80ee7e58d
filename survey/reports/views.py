"""/reports: the waves, one wave, preparing its release, response rates, benchmarks."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from survey.auth import current_staff, staff_required
from survey.db import get_session
from survey.releases.browse import wave_listing
from survey.jobs import enqueue_build, read_stage
from survey.logs import staff_event
from survey.releases.build import ReleaseError, latest_release, release_audit, require_finished
from survey.releases.jobs import build_status, is_watching, request_build, watch
from survey.releases.outputs import rates_table
from survey.releases.words import benchmarks_for, rule_words, withheld_words
from survey.reports import bp
from survey.reports.common import labels, record_view, release_or_refusal, today, wave_or_404
from survey.reports.forms import BuildForm
from survey.errors import render_error


@bp.route("/")
@staff_required("edi_lead")
def index():
    return render_template("reports/index.html", items=wave_listing(get_session(), today()),
                           page_title="Survey results")


# While a build is queued or running the wave page reloads itself with
# <meta http-equiv="refresh">: no script, so the strict CSP (survey/security.py) is kept.
REFRESH_SECONDS = 5


@bp.route("/waves/<int:wave_id>")
@staff_required("edi_lead")
def wave(wave_id: int):
    wave = wave_or_404(wave_id)
    finished = wave.is_finished(today())
    release = None
    build = None
    if finished:
        db = get_session()
        release = latest_release(db, wave.id)
        app = current_app._get_current_object()
        build = build_status(db, wave.id, lambda wid: read_stage(app, wid))
    watching = build is not None and build.active and is_watching(get_session(), wave.id, current_staff().id)
    if release is not None:
        record_view("report.view", wave, page="wave", version=release.version)
    ids = [] if release is None else [i for i in release.indicators.split(",") if i]
    audit = release_audit(release) if release else None
    return render_template("reports/wave.html", wave=wave, finished=finished, release=release, form=BuildForm(),
                           build=build, refresh=REFRESH_SECONDS if build is not None and build.active else None,
                           stopped=request.args.get("updates") == "off", watching=watching,
                           indicators=[(i, labels().indicator(i)) for i in ids], audit=audit,
                           withheld=withheld_words(audit, labels()),
                           rule=rule_words(release) if release else "", page_title=wave.name)


@bp.route("/waves/<int:wave_id>/prepare", methods=["POST"])
@staff_required("edi_lead")
def prepare(wave_id: int):
    """Queue the wave's release: the first build, a retry after a failure, or (when it has
    one) a rebuild as a new version. A worker builds it; this request never does."""
    wave = wave_or_404(wave_id)
    form = BuildForm()
    if not form.validate_on_submit():
        return render_error(400, "This form has expired", "Go back, reload the page and try again.")
    db = get_session()
    try:
        require_finished(wave, today())
    except ReleaseError as exc:
        return render_error(409, "The results cannot be prepared yet", str(exc))
    rebuild = latest_release(db, wave.id) is not None
    _row, queued = request_build(db, wave, rebuild=rebuild, actor_id=current_staff().id)
    db.commit()
    if queued:
        enqueue_build(current_app._get_current_object(), wave.id)
        staff_event("report.build.queue", staff_id=current_staff().id, wave_id=wave.id, rebuild=rebuild)
        flash(f"The {'new version of the ' if rebuild else ''}results of {wave.name} "
              f"{'is' if rebuild else 'are'} being prepared. This page shows how far it has got.")
    else:
        flash(f"The results of {wave.name} are being prepared already.")
    return redirect(url_for("reports.wave", wave_id=wave.id))


@bp.route("/waves/<int:wave_id>/notify-me", methods=["POST"])
@staff_required("edi_lead")
def notify_me(wave_id: int):
    """Ask for an e-mail (a link, no results) when the wave's build ends."""
    wave = wave_or_404(wave_id)
    form = BuildForm()
    if not form.validate_on_submit():
        return render_error(400, "This form has expired", "Go back, reload the page and try again.")
    if not current_app.config.get("MAIL_SERVER"):
        return render_error(409, "E-mail is not set up", "This service sends no e-mail. Check the page again later.")
    db = get_session()
    watch(db, wave.id, current_staff().id)
    db.commit()
    flash(f"We will e-mail {current_staff().email} when the results of {wave.name} are ready "
          "(or if they cannot be prepared). The e-mail holds a link, no results.")
    return redirect(url_for("reports.wave", wave_id=wave.id))


@bp.route("/waves/<int:wave_id>/response-rates")
@staff_required("edi_lead")
def rates(wave_id: int):
    wave = wave_or_404(wave_id)
    release, refusal = release_or_refusal(wave)
    if refusal:
        return refusal
    table = rates_table(release)
    record_view("report.view", wave, page="response_rates", version=release.version)
    rows = [{"level": r.org_level, "code": r.org_code, "name": r.org_name, "invited": int(r.invited),
             "answered": None if r.status != "ok" else int(r.answered),
             "rate": None if r.status != "ok" or r.rate != r.rate else f"{r.rate:.1f}",
             "status": r.status} for r in table.itertuples(index=False)]
    return render_template("reports/rates.html", wave=wave, release=release, rows=rows,
                           page_title=f"Response rates: {wave.name}")


@bp.route("/benchmarks")
@staff_required("edi_lead")
def benchmarks():
    items = []
    for iid, ind in labels().indicators.items():
        bench = benchmarks_for(iid)
        if len(bench):
            items.append({"id": iid, "title": ind.title, "source": str(bench["source"].iloc[0]),
                          "rows": [{"group": g, "percent": f"{p:.1f}", "year": int(y)} for g, p, y in
                                   bench[["group", "percent", "year"]].itertuples(index=False)]})
    return render_template("reports/benchmarks.html", items=items, page_title="National figures")
