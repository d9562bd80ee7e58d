"""Example speak-up cases for the demo: a guardian's queue in several states, a closed
case with feedback for the quarterly return, and one case whose key is printed so a
visitor can follow it up. Made through the same operations the pages use."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.concerns import workflow
from survey.concerns.cases import ConcernInput, raise_concern
from survey.models import Concern, Organisation, OrgLevel, Role, StaffUser

# (days ago, elements, anonymous, text, what the guardian did)
CASES = [
    (70, ["patient_safety"], True, "Prescriptions are being signed off without the checks in the protocol when we are short staffed.", "closed"),
    (55, ["bullying"], False, "A senior colleague shouts at reception staff in front of patients.", "closed"),
    (40, ["worker_safety"], True, "The back door to the car park does not lock and staff leave alone after evening clinics.", "in_progress"),
    (20, ["attitudes", "bullying"], True, "Comments about colleagues' accents in the staff room are treated as jokes.", "waiting"),
    (9, ["detriment"], False, "Since I raised the rota problem my requests for leave have been refused.", "acknowledged"),
    (3, ["patient_safety", "worker_safety"], True, "The fridge temperature log for vaccines has not been filled in for two weeks.", "new"),
]


@dataclass
class DemoCase:
    reference: str
    access_key: str


def build_cases(session: Session, ring, hasher, today: dt.date) -> DemoCase | None:
    """Add the example cases once; return the one to print (None when they exist already)."""
    if session.scalar(select(func.count()).select_from(Concern)):
        return None
    guardian = session.scalar(select(StaffUser).where(StaffUser.role == Role.guardian).order_by(StaffUser.id))
    practices = list(session.scalars(select(Organisation).where(Organisation.level == OrgLevel.practice).order_by(Organisation.code)))
    shown = None
    for i, (days_ago, elements, anonymous, text, state) in enumerate(CASES):
        raised = today - dt.timedelta(days=days_ago)
        org = practices[i % len(practices)].id if practices and i % 3 else None
        contact = None if anonymous else "Demo person, ask for them on the practice phone line"
        case = raise_concern(session, ring, hasher, ConcernInput(text=text, elements=elements, org_id=org,
                                                                 anonymous=anonymous, contact=contact), on=raised)
        if state != "new" and guardian is not None:
            workflow.guardian_reply(session, ring, case.concern, guardian.id,
                                    "Thank you for speaking up. I have read your concern and will look into it this week.",
                                    on=raised + dt.timedelta(days=1))
        if state == "in_progress":
            workflow.reporter_message(session, ring, case.concern, "It happened again yesterday.",
                                      on=raised + dt.timedelta(days=3))
        if state in ("in_progress", "waiting"):
            workflow.set_status(session, case.concern, guardian.id, state, on=raised + dt.timedelta(days=4))
        if state == "closed":
            workflow.close_case(session, ring, case.concern, guardian.id, "resolved",
                                "Shared the protocol with every clinician; spot checks monthly.",
                                on=raised + dt.timedelta(days=20))
            workflow.give_feedback(session, ring, case.concern, "yes", None, on=raised + dt.timedelta(days=22))
        if state == "waiting":
            shown = DemoCase(case.reference, case.access_key)
    return shown
