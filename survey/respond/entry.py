"""Ways in: a one-time token link, an organisation's open link; the privacy page first."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from survey.db import get_session
from survey.models import OpenLink, Wave
from survey.respond import bp, state
from survey.respond.forms import StartAgainForm


@bp.route("/t/<token>")
def token_link(token: str):
    """Check the token, keep only its hash in the session, and take it out of the address
    bar and the history with a redirect."""
    reason, invitation, wave = state.token_refusal(token)
    if reason:
        return state.refuse(reason, wave)
    state.start("token", invitation.token_hash, invitation.wave_id, invitation.org_id)
    return redirect(url_for("respond.privacy"))


@bp.route("/o/<slug>", methods=["GET", "POST"])
def open_link(slug: str):
    db = get_session()
    link = db.get(OpenLink, slug)
    if link is None:
        return state.refuse("unknown")
    wave = db.get(Wave, link.wave_id)
    reason = state.wave_status(wave, state.today())
    if reason:
        return state.refuse(reason, wave)
    form = StartAgainForm()
    current = state.state()
    if request.method == "POST":
        if form.validate_on_submit():
            state.start("open", state.new_open_key(), wave.id, link.org_id)
            return redirect(url_for("respond.privacy"))
    elif current and current["kind"] == "open" and current["wave"] == wave.id and current["org"] == link.org_id:
        return redirect(url_for("respond.privacy"))     # carry on with the answers in progress
    elif wave.id in state.answered_waves(request):
        return render_template("respond/already_answered.html", form=form, slug=slug, title=_title(wave))
    else:
        state.start("open", state.new_open_key(), wave.id, link.org_id)
        return redirect(url_for("respond.privacy"))
    return render_template("respond/already_answered.html", form=form, slug=slug, title=_title(wave))


def _title(wave: Wave) -> str:
    definition = state.cached_definition(wave.id, wave.definition_json)
    return definition.title


@bp.route("/")
def privacy():
    journey, refusal = state.current()
    if refusal:
        return refusal
    from survey.respond.journey import resume_url
    answers = journey.saved or {}
    return render_template(
        "respond/privacy.html", definition=journey.definition,
        start_url=resume_url(journey.definition, answers, journey.reached),
        open_link=journey.kind == "open",
        started=journey.saved is not None, min_cell=current_app.config["MIN_CELL"],
        week=current_app.config["RESPONSE_DATE_RESOLUTION"] == "week",
    )


@bp.route("/done")
def done():
    return render_template("respond/done.html", min_cell=current_app.config["MIN_CELL"])
