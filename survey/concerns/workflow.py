"""What happens to a case after it is raised: messages both ways, notes, status,
elements, closing, withdrawal, feedback and the deliberate reveal of contact details.

Every guardian action is an audit event (who, what, which case; never content). The
reporter's own actions are NOT audited: an audit event carries an exact time, and
nothing about the person who spoke up may be stored more precisely than the day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import audit
from survey.concerns.cases import MAX_TEXT, today
from survey.crypto import KeyRing
from survey.logs import staff_event
from survey.models import (ELEMENTS, AuditEvent, Concern, ConcernMessage, ConcernNote, ConcernStatus)
from survey.models.speakup import FEEDBACK_ANSWERS, OUTCOMES

OBJECT = "concern"
# Statuses a guardian sets by hand; closing needs an outcome, withdrawal is the reporter's.
GUARDIAN_STATUSES = (ConcernStatus.acknowledged, ConcernStatus.in_progress, ConcernStatus.waiting)
FINISHED = (ConcernStatus.closed, ConcernStatus.withdrawn)


class WorkflowError(ValueError):
    """An action that does not fit the case's state; the message says what to do."""


def _audit(session: Session, actor_id: int | None, action: str, concern: Concern, detail: dict | None = None) -> None:
    audit.record(session, actor_id, action, OBJECT, concern.id, detail)
    staff_event(action, staff_id=actor_id, case_id=concern.id)


def _body(text: str | None, what: str) -> str:
    body = (text or "").strip()
    if not body:
        raise WorkflowError(f"Enter your {what}")
    if len(body) > MAX_TEXT:
        raise WorkflowError(f"Your {what} must be {MAX_TEXT} characters or fewer")
    return body


@dataclass
class ThreadItem:
    from_guardian: bool
    body: str | None        # None once erased
    on: dt.date


def thread(ring: KeyRing, concern: Concern) -> list[ThreadItem]:
    return [ThreadItem(m.from_guardian, ring.decrypt(m.body), m.sent_on) for m in concern.messages]


def notes(ring: KeyRing, concern: Concern) -> list[tuple[ConcernNote, str | None]]:
    return [(n, ring.decrypt(n.body)) for n in concern.notes]


def concern_text(ring: KeyRing, concern: Concern) -> str | None:
    return ring.decrypt(concern.text)


# --- the guardian ---------------------------------------------------------------------------

def view_case(session: Session, concern: Concern, actor_id: int) -> None:
    """A guardian opened the case: audited, and its replies count as read."""
    concern.unread_by_guardian = 0
    _audit(session, actor_id, "concern.view", concern)


def reveal_contact(session: Session, ring: KeyRing, concern: Concern, actor_id: int) -> str | None:
    """The contact details of a confidential case, after a deliberate, audited request."""
    if concern.is_anonymous or concern.contact is None:
        raise WorkflowError("This case has no contact details: the person chose to stay anonymous, or they were erased")
    _audit(session, actor_id, "concern.reveal_contact", concern)
    return ring.decrypt(concern.contact)


def guardian_reply(session: Session, ring: KeyRing, concern: Concern, actor_id: int, text: str,
                   on: dt.date | None = None) -> ConcernMessage:
    if concern.status is ConcernStatus.withdrawn or concern.purged_on:
        raise WorkflowError("This case was withdrawn or its text erased: messages can no longer be sent")
    message = ConcernMessage(concern=concern, from_guardian=True, author_id=actor_id,
                             body=ring.encrypt(_body(text, "message")), sent_on=on or today())
    session.add(message)
    concern.unread_by_reporter = (concern.unread_by_reporter or 0) + 1
    if concern.notify_address is not None:
        concern.reporter_notify_pending = True       # told by the next `speakup notify`, with no content
    if concern.status is ConcernStatus.new:
        _acknowledge(concern, on)
    session.flush()
    _audit(session, actor_id, "concern.message", concern, {"message_id": message.id})
    return message


def add_note(session: Session, ring: KeyRing, concern: Concern, actor_id: int, text: str,
             on: dt.date | None = None) -> ConcernNote:
    if concern.purged_on:
        raise WorkflowError("This case's text was erased by the retention rule: notes can no longer be added")
    note = ConcernNote(concern=concern, author_id=actor_id, body=ring.encrypt(_body(text, "note")), written_on=on or today())
    session.add(note)
    session.flush()
    _audit(session, actor_id, "concern.note", concern, {"note_id": note.id})
    return note


def _acknowledge(concern: Concern, on: dt.date | None) -> None:
    concern.status = ConcernStatus.acknowledged
    if concern.acknowledged_on is None:
        concern.acknowledged_on = on or today()


def set_status(session: Session, concern: Concern, actor_id: int, status: ConcernStatus | str,
               on: dt.date | None = None) -> None:
    status = ConcernStatus(status)
    if status not in GUARDIAN_STATUSES:
        raise WorkflowError("Choose acknowledged, in progress or waiting for the person; to close a case, give its outcome")
    if concern.status is ConcernStatus.withdrawn:
        raise WorkflowError("The person withdrew this case: its status cannot change")
    if concern.purged_on:
        raise WorkflowError("This case's text was erased by the retention rule: it cannot be reopened")
    old = concern.status
    if old is status:
        return
    concern.status = status
    if concern.acknowledged_on is None:
        concern.acknowledged_on = on or today()
    if old is ConcernStatus.closed:          # reopened
        concern.closed_on = None
    _audit(session, actor_id, "concern.status", concern, {"from": old.value, "to": status.value})


def set_elements(session: Session, concern: Concern, actor_id: int, elements: list[str]) -> None:
    unknown = [e for e in elements if e not in ELEMENTS]
    if unknown:
        raise WorkflowError("Choose elements from the list")
    before = concern.elements()
    for element in ELEMENTS:
        setattr(concern, "el_" + element, element in elements)
    if before != concern.elements():
        _audit(session, actor_id, "concern.elements", concern, {"elements": concern.elements()})


def close_case(session: Session, ring: KeyRing, concern: Concern, actor_id: int, outcome: str,
               lessons: str | None, on: dt.date | None = None) -> None:
    if outcome not in OUTCOMES:
        raise WorkflowError("Choose the outcome of the case")
    if concern.status is ConcernStatus.withdrawn:
        raise WorkflowError("The person withdrew this case; it is already finished")
    if lessons and len(lessons) > MAX_TEXT:
        raise WorkflowError(f"Lessons learned must be {MAX_TEXT} characters or fewer")
    old = concern.status
    concern.status = ConcernStatus.closed
    concern.outcome = outcome
    concern.lessons = ring.encrypt(lessons.strip()) if lessons and lessons.strip() else None
    concern.closed_on = on or today()
    if concern.acknowledged_on is None:
        concern.acknowledged_on = concern.closed_on
    concern.unread_by_reporter = (concern.unread_by_reporter or 0) + 1
    if concern.notify_address is not None:
        concern.reporter_notify_pending = True       # told by the next `speakup notify`, with no content
    _audit(session, actor_id, "concern.close", concern, {"from": old.value, "outcome": outcome})


def describe_event(action: str, detail: dict | None) -> str:
    """An audit event of a case in words, for the trail page (never the raw JSON)."""
    from survey.models import ELEMENTS
    from survey.models.speakup import OUTCOMES
    d = detail or {}

    def status(value) -> str:
        try:
            return ConcernStatus(value).label
        except ValueError:
            return str(value)

    if action == "concern.status":
        return f"Status changed from {status(d.get('from'))} to {status(d.get('to'))}"
    if action == "concern.close":
        return f"Closed (was {status(d.get('from'))}), outcome: {OUTCOMES.get(d.get('outcome'), d.get('outcome') or 'none')}"
    if action == "concern.elements":
        names = [ELEMENTS.get(e, e) for e in d.get("elements") or []]
        return "Elements set to " + (", ".join(names) if names else "none")
    words = {"concern.message": "Reply sent to the person who spoke up", "concern.note": "Internal note added",
             "concern.view": "Case opened", "concern.view_trail": "Audit trail opened",
             "concern.reveal_contact": "Contact details revealed",
             "concern.purge": "Text erased under the retention rule"}
    return words.get(action, action.replace("concern.", "").replace("_", " ").capitalize())


def case_trail(session: Session, concern: Concern, actor_id: int) -> list[AuditEvent]:
    """The case's own audit trail; reading it is itself audited (after the read)."""
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.object_type == OBJECT,
                                                           AuditEvent.object_id == str(concern.id))
                                  .order_by(AuditEvent.id)))
    _audit(session, actor_id, "concern.view_trail", concern)
    return events


# --- the person who spoke up ------------------------------------------------------------------

def reporter_opened(concern: Concern) -> None:
    concern.unread_by_reporter = 0
    concern.reporter_notify_pending = False          # read already: nothing to tell them


def can_message(concern: Concern) -> bool:
    return concern.status not in FINISHED and not concern.purged_on


def reporter_message(session: Session, ring: KeyRing, concern: Concern, text: str,
                     on: dt.date | None = None) -> ConcernMessage:
    if not can_message(concern):
        raise WorkflowError("This case is closed or withdrawn, so messages can no longer be added. You can raise a new concern")
    message = ConcernMessage(concern=concern, from_guardian=False, author_id=None,
                             body=ring.encrypt(_body(text, "message")), sent_on=on or today())
    session.add(message)
    concern.unread_by_guardian = (concern.unread_by_guardian or 0) + 1
    concern.notify_pending = True
    if concern.status is ConcernStatus.waiting:
        concern.status = ConcernStatus.in_progress
    session.flush()
    return message


def erase_text(concern: Concern, keep_lessons: bool) -> None:
    """Erase everything written in the case; keep the anonymous facts (dates, elements,
    outcome, anonymity, organisation, feedback answer)."""
    concern.text = None
    concern.contact = None
    concern.notify_address = None
    concern.reporter_notify_pending = False
    concern.feedback_comment = None
    if not keep_lessons:
        concern.lessons = None
    for message in concern.messages:
        message.body = None
    for note in concern.notes:
        note.body = None


def withdraw(session: Session, concern: Concern, on: dt.date | None = None) -> None:
    """The person withdrew: their text, the thread and the notes are erased."""
    if concern.status is ConcernStatus.withdrawn:
        return
    erase_text(concern, keep_lessons=True)
    concern.status = ConcernStatus.withdrawn
    concern.withdrawn_on = on or today()
    concern.unread_by_guardian = (concern.unread_by_guardian or 0) + 1
    concern.notify_pending = True
    session.flush()


def can_give_feedback(concern: Concern) -> bool:
    return concern.status is ConcernStatus.closed and concern.feedback_answer is None and not concern.purged_on


def give_feedback(session: Session, ring: KeyRing, concern: Concern, answer: str, comment: str | None,
                  on: dt.date | None = None) -> None:
    if answer not in FEEDBACK_ANSWERS:
        raise WorkflowError("Choose whether you would speak up again")
    if not can_give_feedback(concern):
        raise WorkflowError("Feedback can be given once, after the case is closed")
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise WorkflowError(f"Your comment must be {MAX_TEXT} characters or fewer")
    concern.feedback_answer = answer
    concern.feedback_comment = ring.encrypt(comment) if comment else None
    concern.feedback_on = on or today()
    concern.unread_by_guardian = (concern.unread_by_guardian or 0) + 1
    concern.notify_pending = True
    session.flush()
