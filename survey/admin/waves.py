"""Waves: list by status, create, close early; open-link waves: their links and invited counts.

Every change goes through survey.waves / survey.invitations, as `flask --app survey waves`.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from survey.admin import bp
from survey.admin.common import actor_id, log
from survey.admin.forms import ConfirmForm, InvitedForm, TokenBatchForm, WaveForm
from survey.auth import staff_required
from survey.db import get_session
from survey.definitions import available_surveys
from survey.jobs import enqueue_build
from survey.invitations import ensure_open_links, open_link_url
from survey.models import OpenLink, Organisation, Wave, WaveMode
from survey.orgs import tree
from survey.waves import WaveError, close_wave, closed_early, create_wave, list_waves, set_invited

LEVEL_NAMES = {"ics": "ICS", "place": "Place", "pcn": "PCN", "practice": "Practice"}
STATUS_ORDER = ("open", "not yet open", "closed")


def wave_or_404(wave_id: int) -> Wave:
    wave = get_session().get(Wave, wave_id)
    if wave is None:
        abort(404)
    return wave


def wave_orgs(wave: Wave) -> list[tuple[Organisation, int]]:
    """The wave's organisations with their invited counts, by code."""
    db = get_session()
    invited = {row.org_id: row.invited for row in wave.organisations}
    orgs = db.scalars(select(Organisation).where(Organisation.id.in_(list(invited))).order_by(Organisation.code))
    return [(org, invited[org.id]) for org in orgs]


def _usable_surveys() -> dict:
    """Every survey that loads. (find_survey would refuse them all if one instance file is
    broken; the surveys page lists such files with their problem.)"""
    return available_surveys(current_app.instance_path, errors=[])


def _org_choices() -> list[tuple[str, str, str]]:
    """(code, label, hint, class): the tree is shown by indenting (a class) and said in the
    hint ("PCN in Riverside place"), never by dashes that a screen reader reads out."""
    return [(org.code, f"{org.name} ({org.code})",
             LEVEL_NAMES[org.level.value] + (f" in {org.parent.name}" if org.parent is not None else ""),
             f"app-depth-{min(depth, 3)}")
            for depth, org in tree(get_session())]


@bp.route("/waves")
@staff_required("admin")
def waves():
    today = dt.date.today()
    groups: dict[str, list] = {status: [] for status in STATUS_ORDER}
    summaries = list_waves(get_session())
    for summary in summaries:
        groups[summary.status(today)].append(summary)
    early = closed_early(get_session(), [s.wave for s in summaries])
    return render_template("admin/waves.html", groups=groups, early=early)


@bp.route("/waves/new", methods=["GET", "POST"])
@staff_required("admin")
def wave_new():
    form = WaveForm()
    surveys = _usable_surveys()
    form.survey.choices = [(sid, f"{d.title} ({sid}, version {d.version})") for sid, d in sorted(surveys.items())]
    org_options = _org_choices()
    form.orgs.choices = [(code, label) for code, label, *_rest in org_options]
    error = None
    if form.validate_on_submit():
        db = get_session()
        try:
            definition = surveys[form.survey.data]
            wave = create_wave(db, definition, form.name.data, form.orgs.data, form.opens.data, form.closes.data,
                               open_link=form.mode.data == "open_link", actor_id=actor_id())
            if wave.mode is WaveMode.open_link:
                ensure_open_links(db, wave, actor_id=actor_id())
        except WaveError as exc:
            db.rollback()
            error = str(exc).strip("'\"")
        else:
            db.commit()
            log("admin.wave.create", wave_id=wave.id, survey_id=wave.survey_id, mode=wave.mode.value,
                organisations=len(wave.organisations))
            flash(f"Created the wave '{wave.name}' for {len(wave.organisations)} organisation"
                  f"{'' if len(wave.organisations) == 1 else 's'}.")
            return redirect(url_for("admin.wave_detail", wave_id=wave.id))
    return render_template("admin/wave_new.html", form=form, org_options=org_options, error=error)


@bp.route("/waves/<int:wave_id>")
@staff_required("admin")
def wave_detail(wave_id: int):
    return render_detail(wave_or_404(wave_id))


def render_detail(wave, token_form=None, status: int = 200):
    """The wave's page; `token_form`, when given, is a refused batch shown with its errors."""
    today = dt.date.today()
    orgs = wave_orgs(wave)
    choices = [(org.code, f"{org.name} ({org.code})") for org, _n in orgs]
    links = {}
    if wave.mode is WaveMode.open_link:
        from flask import request
        from survey.config import base_url
        base = base_url(current_app.config, request)
        links = {link.org_id: open_link_url(base, link.slug)
                 for link in get_session().scalars(select(OpenLink).where(OpenLink.wave_id == wave.id))}
    if token_form is None:
        token_form = TokenBatchForm(formdata=None)
    token_form.org.choices = choices
    invited_form = InvitedForm(formdata=None)
    invited_form.org.choices = choices
    return render_template("admin/wave_detail.html", wave=wave, orgs=orgs, links=links, today=today,
                           finished=wave.is_finished(today), token_form=token_form, invited_form=invited_form,
                           links_form=ConfirmForm(), token_errors=bool(token_form.errors),
                           early=wave.id in closed_early(get_session(), [wave])), status


@bp.route("/waves/<int:wave_id>/close", methods=["GET", "POST"])
@staff_required("admin")
def wave_close(wave_id: int):
    wave = wave_or_404(wave_id)
    back = url_for("admin.wave_detail", wave_id=wave.id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            close_wave(db, wave.name, actor_id=actor_id())
        except WaveError as exc:
            db.rollback()
            flash(str(exc))
        else:
            db.commit()
            enqueue_build(current_app._get_current_object(), wave.id)
            log("admin.wave.close", wave_id=wave.id)
            flash(f"The wave '{wave.name}' is closed: no more answers are accepted. Its results are being "
                  "prepared; the EDI lead finds them on the wave's results page.")
        return redirect(back)
    if wave.is_closed:
        flash(f"The wave '{wave.name}' is closed already.")
        return redirect(back)
    return render_template("admin/confirm.html", form=form, title=f"Close the wave '{wave.name}' now?",
                           advice="Nobody can answer it after this, also with a link or slip already handed out. "
                                  "Results can then be released. This cannot be undone.",
                           button="Close the wave", warning=True, back=back)


@bp.route("/waves/<int:wave_id>/links", methods=["POST"])
@staff_required("admin")
def wave_links(wave_id: int):
    """Create the shared links an open-link wave is missing (e.g. one created with the CLI)."""
    wave = wave_or_404(wave_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            ensure_open_links(db, wave, actor_id=actor_id())
        except WaveError as exc:
            db.rollback()
            flash(str(exc))
        else:
            db.commit()
            log("admin.wave.open_links", wave_id=wave.id)
    return redirect(url_for("admin.wave_detail", wave_id=wave.id))


@bp.route("/waves/<int:wave_id>/invited", methods=["POST"])
@staff_required("admin")
def wave_invited(wave_id: int):
    """Record how many staff an open-link wave invited at one organisation."""
    wave = wave_or_404(wave_id)
    form = InvitedForm()
    form.org.choices = [(org.code, org.code) for org, _n in wave_orgs(wave)]
    if form.validate_on_submit():
        db = get_session()
        try:
            set_invited(db, wave, form.org.data, form.invited.data, actor_id=actor_id())
        except WaveError as exc:
            db.rollback()
            flash(str(exc))
        else:
            db.commit()
            log("admin.wave.invited", wave_id=wave.id, org=form.org.data, invited=form.invited.data)
            flash(f"Recorded {form.invited.data} staff invited at {form.org.data}.")
    else:
        flash("Nothing was recorded: " + "; ".join(e for errs in form.errors.values() for e in errs) + ".")
    return redirect(url_for("admin.wave_detail", wave_id=wave.id) + "#invited")
