"""Freedom to Speak Up cases. Text is encrypted; dates are days; nothing about the sender."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import false as sa_false
from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.db import Base

# The national recording categories (April 2022 onwards); a case may carry several.
ELEMENTS: dict[str, str] = {
    "patient_safety": "Patient safety or quality",
    "worker_safety": "Worker safety or wellbeing",
    "bullying": "Bullying or harassment",
    "attitudes": "Inappropriate attitudes or behaviours",
    "detriment": "Detriment for speaking up",
}


class ConcernStatus(str, enum.Enum):
    new = "new"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    waiting = "waiting"          # waiting for the person who spoke up
    closed = "closed"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "new": "New", "acknowledged": "Acknowledged", "in_progress": "In progress",
            "waiting": "Waiting for the person", "closed": "Closed", "withdrawn": "Withdrawn",
        }[self.value]


# How a case ended (a category for the return, never free text).
OUTCOMES: dict[str, str] = {
    "resolved": "Resolved",
    "partly_resolved": "Partly resolved",
    "not_resolved": "Not resolved",
    "referred": "Referred elsewhere",
    "no_further_action": "No further action",
}

# "Given your experience, would you speak up again?"
FEEDBACK_ANSWERS: dict[str, str] = {
    "yes": "Yes", "no": "No", "maybe": "Maybe", "dont_know": "Don't know",
}


class Concern(Base):
    """A case. No column can point at the person: no account, address, browser or time
    of day. `id` orders the guardian's work; the reporter only ever sees `reference`."""

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)     # random, e.g. "K7QM-2XPD"
    # argon2id over HMAC(pepper, key); cleared by the purge, after which the key opens nothing.
    access_key_hash: Mapped[str | None] = mapped_column(String(255))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    is_anonymous: Mapped[bool] = mapped_column(Boolean)                 # False = confidential
    status: Mapped[ConcernStatus] = mapped_column(Enum(ConcernStatus, native_enum=False, length=16), default=ConcernStatus.new)

    el_patient_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    el_worker_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    el_bullying: Mapped[bool] = mapped_column(Boolean, default=False)
    el_attitudes: Mapped[bool] = mapped_column(Boolean, default=False)
    el_detriment: Mapped[bool] = mapped_column(Boolean, default=False)

    text: Mapped[bytes | None] = mapped_column(LargeBinary)          # encrypted; erased on withdrawal/purge
    contact: Mapped[bytes | None] = mapped_column(LargeBinary)       # encrypted; confidential cases only
    outcome: Mapped[str | None] = mapped_column(String(32))          # a category, not free text
    lessons: Mapped[bytes | None] = mapped_column(LargeBinary)       # encrypted
    feedback_answer: Mapped[str | None] = mapped_column(String(16))  # yes / no / maybe / dont_know
    feedback_comment: Mapped[bytes | None] = mapped_column(LargeBinary)
    feedback_on: Mapped[dt.date | None] = mapped_column(Date)        # counted in that quarter's return

    raised_on: Mapped[dt.date] = mapped_column(Date)
    acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    purged_on: Mapped[dt.date | None] = mapped_column(Date)
    unread_by_guardian: Mapped[int] = mapped_column(Integer, default=1)
    unread_by_reporter: Mapped[int] = mapped_column(Integer, default=0)
    # Something arrived for the guardians since the last notification digest (survey/notify.py).
    notify_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # A confidential reporter's own e-mail address for "you have a reply" (encrypted; only if
    # they asked; erased with the case's text), and whether such a reply is waiting.
    notify_address: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_notify_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    messages: Mapped[list["ConcernMessage"]] = relationship(back_populates="concern", order_by="ConcernMessage.id", cascade="all, delete-orphan")
    notes: Mapped[list["ConcernNote"]] = relationship(back_populates="concern", order_by="ConcernNote.id", cascade="all, delete-orphan")

    def elements(self) -> list[str]:
        return [key for key in ELEMENTS if getattr(self, "el_" + key)]


class ConcernMessage(Base):
    __tablename__ = "concern_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    from_guardian: Mapped[bool] = mapped_column(Boolean)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))   # guardian messages only
    body: Mapped[bytes | None] = mapped_column(LargeBinary)                         # encrypted
    sent_on: Mapped[dt.date] = mapped_column(Date)

    concern: Mapped[Concern] = relationship(back_populates="messages")


class ConcernNote(Base):
    """The guardian's internal note; never shown to the person who spoke up."""

    __tablename__ = "concern_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    written_on: Mapped[dt.date] = mapped_column(Date)

    concern: Mapped[Concern] = relationship(back_populates="notes")
