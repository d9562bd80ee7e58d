"""Following up a concern with its reference and access key: /speakup/followup.

After a correct reference and key, the case id is kept in the signed session for
CASE_MINUTES (renewed on each page); nothing else about the visit is kept.
"""
from __future__ import annotations

import time
from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from survey.ratelimit import client_identity
from survey.concerns import CaseNotFound, RateLimited, find_case_by_key
from survey.concerns import workflow as wf
from survey.db import get_session
from survey.errors import render_error
from survey.extensions import access_key_hasher, keyring, ratelimiter
from survey.models import Concern, ConcernStatus
from survey.models.speakup import FEEDBACK_ANSWERS, OUTCOMES
from survey.speakup import bp
from survey.speakup.forms import FeedbackForm, FollowupForm, LeaveForm, MessageForm, WithdrawForm

CASE = "speakup_case"
CASE_MINUTES = 30
NOT_RIGHT = ("The reference or access key is not right. Check both and try again: "
             "the key has 20 letters and numbers in groups of four.")


def _open_case(concern_id: int) -> None:
    session[CASE] = {"id": concern_id, "exp": int(time.time()) + CASE_MINUTES * 60}


def case_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        held = session.get(CASE)
        concern = None
        if isinstance(held, dict) and held.get("exp", 0) > time.time():
            concern = get_session().get(Concern, held.get("id"))
        if concern is None or concern.purged_on:
            session.pop(CASE, None)
            flash("For your safety a case stays open for 30 minutes. Enter your reference and access key again.")
            return redirect(url_for("speakup.followup"))
        _open_case(concern.id)   # renew
        g.concern = concern
        return view(*args, **kwargs)
    return wrapped


@bp.route("/followup", methods=["GET", "POST"])
def followup():
    form = FollowupForm()
    error = None
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            concern = find_case_by_key(get_session(), access_key_hasher(), ratelimiter(), form.reference.data,
                                       form.key.data, client_identity(request),
                                       cfg["RATELIMIT_FOLLOWUP"], cfg["RATELIMIT_FOLLOWUP_CLIENT"],
                                       hot_cost=int(cfg["RATELIMIT_FOLLOWUP_HOT_COST"]))
        except RateLimited:
            error, status = "There have been too many attempts. Wait an hour, then try again.", 429
        except CaseNotFound:
            error, status = NOT_RIGHT, 400
        else:
            session.clear()
            _open_case(concern.id)
            return redirect(url_for("speakup.case"), code=303)
    form.key.data = ""   # never echo a key back
    return render_template("speakup/followup.html", form=form, error=error), status


def _case_page(message_form=None, feedback_form=None, status=200):
    concern = g.concern
    ring = keyring()
    wf.reporter_opened(concern)
    get_session().commit()
    return render_template(
        "speakup/case.html", concern=concern, text=wf.concern_text(ring, concern), thread=wf.thread(ring, concern),
        can_message=wf.can_message(concern), can_feedback=wf.can_give_feedback(concern),
        message_form=message_form or MessageForm(formdata=None), feedback_form=feedback_form or FeedbackForm(formdata=None),
        leave_form=LeaveForm(), outcomes=OUTCOMES, answers=FEEDBACK_ANSWERS, Status=ConcernStatus,
    ), status


@bp.route("/case")
@case_required
def case():
    return _case_page()


@bp.route("/case/message", methods=["POST"])
@case_required
def case_message():
    form = MessageForm()
    if not form.validate_on_submit():
        return _case_page(message_form=form, status=400)
    db = get_session()
    try:
        wf.reporter_message(db, keyring(), g.concern, form.body.data)
    except wf.WorkflowError as exc:
        form.body.errors = [str(exc)]
        return _case_page(message_form=form, status=400)
    db.commit()
    flash("Your message has been sent to the guardian.")
    return redirect(url_for("speakup.case"), code=303)


@bp.route("/case/feedback", methods=["POST"])
@case_required
def case_feedback():
    form = FeedbackForm()
    if not form.validate_on_submit():
        return _case_page(feedback_form=form, status=400)
    db = get_session()
    try:
        wf.give_feedback(db, keyring(), g.concern, form.answer.data, form.comment.data)
    except wf.WorkflowError as exc:
        form.answer.errors = [str(exc)]
        return _case_page(feedback_form=form, status=400)
    db.commit()
    flash("Thank you for your feedback.")
    return redirect(url_for("speakup.case"), code=303)


@bp.route("/case/withdraw", methods=["GET", "POST"])
@case_required
def case_withdraw():
    form = WithdrawForm()
    if g.concern.status is ConcernStatus.withdrawn:
        return redirect(url_for("speakup.case"), code=303)
    if form.validate_on_submit():
        db = get_session()
        wf.withdraw(db, g.concern)
        db.commit()
        flash("Your concern has been withdrawn and what you wrote has been erased.")
        return redirect(url_for("speakup.case"), code=303)
    return render_template("speakup/withdraw.html", form=form, concern=g.concern), (400 if request.method == "POST" else 200)


@bp.route("/case/leave", methods=["POST"])
def case_leave():
    form = LeaveForm()
    if not form.validate_on_submit():
        return render_error(400)
    session.clear()
    flash("You have left your case. Close this browser window if others use this device.")
    return redirect(url_for("speakup.followup"), code=303)
