"""One case: the concern, contact reveal, thread, notes, status, elements, closing, trail.

Each GET of the case page is a `concern.view` audit event; each POST is its own event.
After a successful POST the browser is sent back to the case page (another view).
"""
from __future__ import annotations

from sqlalchemy import select
from flask import abort, current_app, flash, redirect, render_template, url_for

from survey.auth import current_staff, staff_required
from survey.concerns import today
from survey.concerns import workflow as wf
from survey.concerns.queue import ack_due, is_overdue
from survey.db import get_session
from survey.extensions import keyring
from survey.guardian import bp
from survey.guardian.forms import AcknowledgeForm, CloseForm, NoteForm, ReplyForm, RevealForm, StatusForm
from survey.models import ELEMENTS, Concern, ConcernStatus, Organisation, StaffUser
from survey.models.speakup import FEEDBACK_ANSWERS, OUTCOMES


def _concern(case_id: int) -> Concern:
    concern = get_session().get(Concern, case_id)
    if concern is None:
        abort(404)
    return concern


def _forms(concern: Concern, **given):
    forms = {
        "reply_form": ReplyForm(prefix="reply", formdata=None),
        "note_form": NoteForm(prefix="note", formdata=None),
        "status_form": StatusForm(prefix="status", formdata=None,
                                  status=concern.status.value if concern.status.value in ("acknowledged", "in_progress", "waiting") else None,
                                  elements=concern.elements()),
        "close_form": CloseForm(prefix="close", formdata=None, outcome=concern.outcome),
        "reveal_form": RevealForm(prefix="reveal", formdata=None),
        "ack_form": AcknowledgeForm(prefix="ack", formdata=None),
    }
    forms.update(given)
    return forms


def _render(concern: Concern, contact: str | None = None, status: int = 200, **given):
    ring = keyring()
    target = int(current_app.config.get("GUARDIAN_ACK_WORKING_DAYS", 2))
    org = get_session().get(Organisation, concern.org_id) if concern.org_id else None
    html = render_template(
        "guardian/case.html", concern=concern, org=org, text=wf.concern_text(ring, concern), contact=contact,
        thread=wf.thread(ring, concern), notes=wf.notes(ring, concern),
        lessons=ring.decrypt(concern.lessons), feedback_comment=ring.decrypt(concern.feedback_comment),
        overdue=is_overdue(concern, today(), target), due_on=ack_due(concern, target),
        elements=ELEMENTS, outcomes=OUTCOMES, answers=FEEDBACK_ANSWERS, Status=ConcernStatus, **_forms(concern, **given))
    return html, status


def _actor() -> int:
    return current_staff().id


@bp.route("/cases/<int:case_id>")
@staff_required("guardian")
def case(case_id: int):
    concern = _concern(case_id)
    db = get_session()
    wf.view_case(db, concern, _actor())
    db.commit()
    return _render(concern)


@bp.route("/cases/<int:case_id>/reveal", methods=["POST"])
@staff_required("guardian")
def reveal(case_id: int):
    concern = _concern(case_id)
    form = RevealForm(prefix="reveal")
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        contact = wf.reveal_contact(db, keyring(), concern, _actor())
    except wf.WorkflowError as exc:
        db.rollback()
        flash(str(exc))
        return redirect(url_for("guardian.case", case_id=case_id), code=303)
    wf.view_case(db, concern, _actor())
    db.commit()
    return _render(concern, contact=contact)


def _post(case_id: int, form, action, done: str, field: str):
    """Validate `form`, run `action(db, concern)`, commit; on a problem re-show the page."""
    concern = _concern(case_id)
    db = get_session()
    name = form._prefix.rstrip("-") + "_form"
    if form.validate_on_submit():
        try:
            action(db, concern)
        except wf.WorkflowError as exc:
            db.rollback()
            getattr(form, field).errors = [str(exc)]
        else:
            db.commit()
            flash(done)
            return redirect(url_for("guardian.case", case_id=case_id), code=303)
    wf.view_case(db, concern, _actor())
    db.commit()
    return _render(concern, status=400, **{name: form})


@bp.route("/cases/<int:case_id>/reply", methods=["POST"])
@staff_required("guardian")
def reply(case_id: int):
    form = ReplyForm(prefix="reply")
    return _post(case_id, form, lambda db, c: wf.guardian_reply(db, keyring(), c, _actor(), form.body.data),
                 "Your reply has been sent. The person sees it when they next follow up.", "body")


@bp.route("/cases/<int:case_id>/note", methods=["POST"])
@staff_required("guardian")
def note(case_id: int):
    form = NoteForm(prefix="note")
    return _post(case_id, form, lambda db, c: wf.add_note(db, keyring(), c, _actor(), form.body.data),
                 "Note added.", "body")


@bp.route("/cases/<int:case_id>/status", methods=["POST"])
@staff_required("guardian")
def status(case_id: int):
    form = StatusForm(prefix="status")

    def act(db, c):
        wf.set_elements(db, c, _actor(), list(form.elements.data or []))
        wf.set_status(db, c, _actor(), form.status.data)
    return _post(case_id, form, act, "Status and elements saved.", "status")


@bp.route("/cases/<int:case_id>/acknowledge", methods=["POST"])
@staff_required("guardian")
def acknowledge(case_id: int):
    form = AcknowledgeForm(prefix="ack")
    if _concern(case_id).status is not ConcernStatus.new:
        flash("This case was acknowledged already.")
        return redirect(url_for("guardian.case", case_id=case_id), code=303)
    return _post(case_id, form, lambda db, c: wf.set_status(db, c, _actor(), ConcernStatus.acknowledged),
                 "The case is acknowledged.", "csrf_token")


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@staff_required("guardian")
def close(case_id: int):
    form = CloseForm(prefix="close")
    concern = _concern(case_id)
    if (concern.status is not ConcernStatus.closed and form.confirm.data != "yes" and form.validate_on_submit()):
        # Closing ends the case for the person who spoke up: ask once more, showing what will be saved.
        return render_template("guardian/close_confirm.html", concern=concern, form=form,
                               outcome=OUTCOMES.get(form.outcome.data, form.outcome.data))
    return _post(case_id, form, lambda db, c: wf.close_case(db, keyring(), c, _actor(), form.outcome.data, form.lessons.data),
                 "The case is closed. The person will be asked whether they would speak up again.", "outcome")


@bp.route("/cases/<int:case_id>/trail")
@staff_required("guardian")
def trail(case_id: int):
    concern = _concern(case_id)
    db = get_session()
    events = wf.case_trail(db, concern, _actor())
    db.commit()
    ids = {e.actor_id for e in events if e.actor_id}
    emails = dict(db.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids))).all()) if ids else {}
    return render_template("guardian/trail.html", concern=concern, events=events, emails=emails,
                           describe=lambda action, detail: wf.describe_event(action, _detail(detail)))


def _detail(value) -> dict:
    """An event's detail as a mapping, whether the column gave JSON text or a dict."""
    import json
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if value else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
