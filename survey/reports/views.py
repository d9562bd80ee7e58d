"""/reports: the waves, one wave, preparing its release, response rates, benchmarks."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for

from survey.auth import current_staff, staff_required
from survey.db import get_session
from survey.releases.browse import wave_listing
from survey.releases.build import ReleaseError, build_wave_release, params_from_config, release_audit
from survey.releases.outputs import benchmarks_for, rates_table, rule_words, withheld_words
from survey.reports import bp
from survey.reports.common import labels, record_view, release_or_refusal, today, wave_or_404
from survey.reports.forms import BuildForm
from survey.errors import render_error


@bp.route("/")
@staff_required("edi_lead")
def index():
    return render_template("reports/index.html", items=wave_listing(get_session(), today()),
                           page_title="Survey results")


@bp.route("/waves/<int:wave_id>")
@staff_required("edi_lead")
def wave(wave_id: int):
    wave = wave_or_404(wave_id)
    finished = wave.is_finished(today())
    release = None
    if finished:
        from survey.releases.build import latest_release
        release = latest_release(get_session(), wave.id)
    if release is not None:
        record_view("report.view", wave, page="wave", version=release.version)
    ids = [] if release is None else [i for i in release.indicators.split(",") if i]
    audit = release_audit(release) if release else None
    return render_template("reports/wave.html", wave=wave, finished=finished, release=release, form=BuildForm(),
                           indicators=[(i, labels().indicator(i)) for i in ids], audit=audit,
                           withheld=withheld_words(audit, labels()),
                           rule=rule_words(release) if release else "", page_title=wave.name)


@bp.route("/waves/<int:wave_id>/prepare", methods=["POST"])
@staff_required("edi_lead")
def prepare(wave_id: int):
    wave = wave_or_404(wave_id)
    form = BuildForm()
    if not form.validate_on_submit():
        return render_error(400, "This form has expired", "Go back, reload the page and try again.")
    db = get_session()
    try:
        built = build_wave_release(db, wave, params_from_config(current_app.config), today=today(),
                                   built_by=current_staff().id)
        db.commit()
    except ReleaseError as exc:
        db.rollback()
        return render_error(409, "The results could not be prepared", str(exc))
    if built.created:
        flash(f"The results of {wave.name} are ready (release version {built.release.version}).")
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
