"""Concern operations without Flask: references, working days, purge, withdrawal,
re-encryption under a new key."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from survey.concerns import ConcernInput, normalise_reference, new_reference, raise_concern
from survey.concerns import workflow as wf
from survey.concerns.queue import add_working_days, is_overdue
from survey.concerns.rekey import reencrypt_all
from survey.concerns.retention import months_before, purge
from survey.crypto import KeyRing, KeyRingError, SlowHasher, SlowHashParams
from survey.db import Base
from survey.models import (AuditEvent, Comment, Concern, ConcernMessage, ConcernNote, ConcernStatus, Draft,
                           Organisation, OrgLevel, Role, StaffUser, Wave)

CHEAP = SlowHashParams(1, 64, 1)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


@pytest.fixture
def ring():
    return KeyRing([KeyRing.generate_key()])


@pytest.fixture
def hasher():
    return SlowHasher("pepper-for-tests", CHEAP)


def _guardian(s, ring) -> StaffUser:
    user = StaffUser(email="g@example.nhs.uk", role=Role.guardian, created_at=dt.datetime.now(dt.timezone.utc),
                     totp_secret=ring.encrypt("JBSWY3DPEHPK3PXP"))
    s.add(user)
    s.flush()
    return user


def test_references_are_random_and_forgiving():
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200 and all(len(r) == 9 and r[4] == "-" for r in refs)
    ref = next(iter(refs))
    assert normalise_reference(ref.lower().replace("-", " ")) == ref
    assert normalise_reference("k7qm 2xpd") == "K7QM-2XPD"
    assert normalise_reference("o1lI-0000") == "0111-0000"
    assert normalise_reference("K7QM-2XP") is None and normalise_reference("K7QM-2XPU") is None
    assert normalise_reference(None) is None


def test_working_days_skip_weekends_and_holidays():
    monday = dt.date(2025, 5, 12)
    assert add_working_days(monday, 2) == dt.date(2025, 5, 14)
    friday = dt.date(2025, 5, 16)
    assert add_working_days(friday, 2) == dt.date(2025, 5, 20)           # over the weekend
    assert add_working_days(friday, 2, [dt.date(2025, 5, 19)]) == dt.date(2025, 5, 21)
    case = Concern(raised_on=friday, status=ConcernStatus.new, acknowledged_on=None)
    assert not is_overdue(case, dt.date(2025, 5, 20), 2)
    assert is_overdue(case, dt.date(2025, 5, 21), 2)
    case.acknowledged_on = dt.date(2025, 5, 21)
    assert not is_overdue(case, dt.date(2025, 6, 30), 2)


def test_months_before():
    assert months_before(dt.date(2025, 3, 31), 1) == dt.date(2025, 2, 28)
    assert months_before(dt.date(2025, 5, 15), 12) == dt.date(2024, 5, 15)
    assert months_before(dt.date(2025, 1, 10), 13) == dt.date(2023, 12, 10)


def test_raise_validates_and_never_stores_plaintext(session, ring, hasher):
    with pytest.raises(ValueError, match="Describe what happened"):
        raise_concern(session, ring, hasher, ConcernInput(text="  "))
    with pytest.raises(ValueError, match="contact"):
        raise_concern(session, ring, hasher, ConcernInput(text="x", anonymous=False, contact=""))
    case = raise_concern(session, ring, hasher, ConcernInput(text="secret text", elements=["bullying"]))
    assert b"secret" not in case.concern.text and ring.decrypt(case.concern.text) == "secret text"
    assert hasher.verify(case.concern.access_key_hash, case.access_key)
    assert case.concern.elements() == ["bullying"] and case.concern.notify_pending


def test_purge_erases_text_of_long_closed_cases_only(session, ring, hasher):
    g = _guardian(session, ring)
    today = dt.date(2026, 6, 15)

    def make(text, closed_on=None, withdrawn_on=None):
        c = raise_concern(session, ring, hasher, ConcernInput(text=text, elements=["patient_safety"], anonymous=False,
                                                               contact="Pat, 0700"), on=dt.date(2025, 1, 6)).concern
        wf.guardian_reply(session, ring, c, g.id, "reply", on=dt.date(2025, 1, 7))
        wf.add_note(session, ring, c, g.id, "note", on=dt.date(2025, 1, 7))
        if closed_on:
            wf.close_case(session, ring, c, g.id, "resolved", "lessons", on=closed_on)
            wf.give_feedback(session, ring, c, "maybe", "ok", on=closed_on)
        if withdrawn_on:
            wf.withdraw(session, c, on=withdrawn_on)
        return c

    old = make("old", closed_on=dt.date(2025, 6, 14))         # closed 12 months and a day ago
    edge = make("edge", closed_on=dt.date(2025, 6, 15))       # exactly 12 months: kept today
    recent = make("recent", closed_on=dt.date(2026, 1, 1))
    open_case = make("open")
    withdrawn = make("withdrawn", withdrawn_on=dt.date(2025, 3, 1))
    session.commit()

    result = purge(session, today, 12)
    session.commit()
    assert result.purged == 2 and result.cutoff == dt.date(2025, 6, 15)
    for c in (old, withdrawn):
        session.refresh(c)
        assert c.purged_on == today and c.text is None and c.contact is None and c.lessons is None
        assert c.feedback_comment is None and c.access_key_hash is None
        assert not session.scalars(select(ConcernMessage).where(ConcernMessage.concern_id == c.id)).all()
        assert not session.scalars(select(ConcernNote).where(ConcernNote.concern_id == c.id)).all()
        # The anonymous facts stay for the returns.
        assert c.raised_on == dt.date(2025, 1, 6) and c.elements() == ["patient_safety"] and not c.is_anonymous
    session.refresh(old)
    assert old.outcome == "resolved" and old.feedback_answer == "maybe" and old.closed_on == dt.date(2025, 6, 14)
    for c in (edge, recent, open_case):
        session.refresh(c)
        assert c.purged_on is None and ring.decrypt(c.text) in ("edge", "recent", "open")
    # Safe to run again: nothing more to do; each purge is audited (actor: the system).
    assert purge(session, today, 12).purged == 0
    assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "concern.purge")) == 2
    with pytest.raises(wf.WorkflowError):
        wf.set_status(session, old, g.id, "in_progress")


def test_reencrypt_covers_every_encrypted_column(session, ring, hasher):
    g = _guardian(session, ring)
    org = Organisation(code="P1", name="P1", level=OrgLevel.practice)
    session.add(org)
    session.flush()
    c = raise_concern(session, ring, hasher, ConcernInput(text="text", anonymous=False, contact="contact"),
                      on=dt.date(2025, 5, 1)).concern
    wf.guardian_reply(session, ring, c, g.id, "message")
    wf.add_note(session, ring, c, g.id, "note")
    wf.close_case(session, ring, c, g.id, "resolved", "lessons")
    wf.give_feedback(session, ring, c, "yes", "comment")
    wave = Wave(name="w", survey_id="s", definition_json="{}", opens_on=dt.date(2025, 1, 1), closes_on=dt.date(2025, 2, 1))
    session.add(wave)
    session.flush()
    session.add(Comment(wave_id=wave.id, org_id=org.id, question_id="q", body=ring.encrypt("survey comment")))
    session.add(Draft(key_hash="h" * 64, wave_id=wave.id, payload=ring.encrypt("draft"), updated_on=dt.date(2025, 1, 2)))
    session.commit()

    new_ring = KeyRing([KeyRing.generate_key()] + ring.keys)
    counts = reencrypt_all(session, new_ring)
    session.commit()
    assert counts == {"concerns": 4, "concern messages": 1, "concern notes": 1, "survey comments": 1,
                      "drafts": 1, "staff TOTP secrets": 1}
    only_new = KeyRing(new_ring.keys[:1])
    session.expire_all()
    c = session.get(Concern, c.id)
    assert [only_new.decrypt(getattr(c, f)) for f in ("text", "contact", "lessons", "feedback_comment")] == \
        ["text", "contact", "lessons", "comment"]
    assert only_new.decrypt(c.messages[0].body) == "message" and only_new.decrypt(c.notes[0].body) == "note"
    assert only_new.decrypt(session.scalar(select(Comment.body))) == "survey comment"
    assert only_new.decrypt(session.scalar(select(Draft.payload))) == "draft"
    assert only_new.decrypt(session.get(StaffUser, g.id).totp_secret) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(KeyRingError):
        ring.decrypt(c.text)     # the old key alone reads nothing any more


def test_workflow_refusals(session, ring, hasher):
    g = _guardian(session, ring)
    c = raise_concern(session, ring, hasher, ConcernInput(text="t")).concern
    with pytest.raises(wf.WorkflowError, match="anonymous"):
        wf.reveal_contact(session, ring, c, g.id)
    with pytest.raises(wf.WorkflowError):
        wf.set_status(session, c, g.id, "closed")
    with pytest.raises(wf.WorkflowError):
        wf.close_case(session, ring, c, g.id, "made-up", None)
    with pytest.raises(wf.WorkflowError):
        wf.give_feedback(session, ring, c, "yes", None)     # not closed yet
    wf.set_status(session, c, g.id, "waiting")
    wf.reporter_message(session, ring, c, "reply")
    assert c.status is ConcernStatus.in_progress and c.acknowledged_on is not None
    wf.withdraw(session, c)
    with pytest.raises(wf.WorkflowError):
        wf.guardian_reply(session, ring, c, g.id, "too late")
    with pytest.raises(wf.WorkflowError):
        wf.reporter_message(session, ring, c, "too late")
