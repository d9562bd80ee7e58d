"""/reports: an indicator for an organisation by a characteristic; trends across waves."""
from __future__ import annotations

from flask import Response, render_template, request

from survey.db import get_session
from survey.errors import render_error
from survey.releases.browse import COMPARISON_PAIRS, indicator_view, org_options, trend_view, trend_waves, unprepared_waves
from survey.releases.build import load_table, release_indicators
from survey.releases.charts import indicator_chart
from survey.releases.words import chart_choice
from survey.reports import bp
from survey.reports.common import labels, record_view, release_or_refusal, today, wave_or_404
from survey.auth import staff_required


def _choices(release, table_loader):
    ids = release_indicators(release)
    iid = request.args.get("indicator") or (ids[0] if ids else "")
    if iid not in ids:
        return None
    table = table_loader(iid)
    orgs = org_options(table)
    org = request.args.get("org") or "ALL"
    if org not in {c for c, _ in orgs}:
        return None
    # a characteristic the audit could not protect is left out of the release (see the wave page)
    present = set(table["dimension"].astype(str))
    dims = [d for d in labels().dimensions if d in present]
    dim = request.args.get("dimension") or chart_choice(labels(), iid)
    if dim not in dims and not request.args.get("dimension") and dims:
        dim = dims[0]
    if dim not in dims:
        return None
    return ids, iid, table, orgs, org, dims, dim


def _bad_choice():
    return render_error(400, "That choice is not in these results",
                        "Go back and choose an indicator, organisation and characteristic from the lists.")


def _open(wave_id: int):
    """(wave, release, the reader's choices, None), or (..., a refusal page to return)."""
    wave = wave_or_404(wave_id)
    release, refusal = release_or_refusal(wave)
    if refusal:
        return wave, release, None, refusal
    db = get_session()
    picked = _choices(release, lambda i: load_table(db, release, i))
    return wave, release, picked, (_bad_choice() if picked is None else None)


@bp.route("/waves/<int:wave_id>/indicator")
@staff_required("edi_lead")
def indicator(wave_id: int):
    wave, release, picked, refusal = _open(wave_id)
    if refusal:
        return refusal
    ids, iid, table, orgs, org, dims, dim = picked
    db = get_session()
    view = indicator_view(db, release, table, labels(), iid, org, dim)
    svg = indicator_chart(table, release, labels(), iid, org, dim)
    record_view("report.view", wave, page="indicator", indicator=iid, org=org, dimension=dim, version=release.version)
    return render_template("reports/indicator.html", wave=wave, release=release, view=view, svg=svg,
                           indicators=[(i, f"{i}: {labels().indicator(i)}") for i in ids], orgs=orgs,
                           dimensions=[(d, labels().dimension(d)) for d in dims],
                           title=labels().indicator(iid), dim_title=labels().dimension(dim),
                           page_title=f"{labels().indicator(iid)}: {wave.name}")


@bp.route("/waves/<int:wave_id>/chart.svg")
@staff_required("edi_lead")
def chart(wave_id: int):
    wave, release, picked, refusal = _open(wave_id)
    if refusal:
        return refusal
    _, iid, table, _, org, _, dim = picked
    svg = indicator_chart(table, release, labels(), iid, org, dim)
    record_view("report.download", wave, file="chart.svg", indicator=iid, org=org, dimension=dim, version=release.version)
    return Response(svg, mimetype="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="{iid}-{org}-{dim}.svg"'})


@bp.route("/waves/<int:wave_id>/trend")
@staff_required("edi_lead")
def trend(wave_id: int):
    wave = wave_or_404(wave_id)
    release, refusal = release_or_refusal(wave)
    if refusal:
        return refusal
    db = get_session()
    waves = trend_waves(db, wave, today())
    ids = [i for i in labels().indicators if any(i in release_indicators(r) for _, r in waves)]
    iid = request.args.get("indicator") or (ids[0] if ids else "")
    pair = request.args.get("pair") or ("disability" if iid.startswith("wdes") else "ethnicity")
    org = request.args.get("org") or "ALL"
    if iid not in ids or pair not in COMPARISON_PAIRS:
        return _bad_choice()
    orgs = org_options(load_table(db, release, iid)) if iid in release_indicators(release) else [("ALL", "Whole wave")]
    if org not in {c for c, _ in orgs}:
        return _bad_choice()
    view = trend_view(db, waves, iid, org, pair)
    record_view("report.view", wave, page="trend", indicator=iid, org=org, pair=pair)
    return render_template("reports/trend.html", wave=wave, view=view, title=labels().indicator(iid),
                           left_out=unprepared_waves(db, wave, today()),
                           indicators=[(i, f"{i}: {labels().indicator(i)}") for i in ids], orgs=orgs,
                           pairs=[("ethnicity", "BME and White"), ("disability", "Disabled and non-disabled")],
                           page_title=f"Trend: {labels().indicator(iid)}")
