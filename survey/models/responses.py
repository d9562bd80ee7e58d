"""Survey responses: anonymous by construction.

A response row holds a random id, the wave, the organisation, the date (day or ISO week,
never a time of day), the answer codes and the demographic codes. It has no column that
can point at an invitation, a token, a person, an address or a browser; it is stored
WITHOUT ROWID on SQLite so its physical order is the random id's, not arrival order.

Answers to questions of the shared question bank (the NHS Staff Survey ids that the
indicators use) are typed columns, so the release's GROUP BY runs on plain integers in
the database. Answers to an administrator's own questions go to `extra_json`. Free text
never lives here: it goes to `comments`, encrypted, with no link back to the response,
so that a comment cannot be read beside a demographic profile.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base

# Single-choice and scale questions of the bank: one small integer (the option code).
BANK_COLUMNS: tuple[str, ...] = (
    "q4b", "q11d", "q11e", "q13a", "q13b", "q13c", "q14a", "q14b", "q14c", "q14d",
    "q15", "q16a", "q16b", "q17a", "q17b", "q25e", "q25f",
)
# Multiple-choice questions of the bank: sorted codes joined with ';'.
BANK_MULTI_COLUMNS: tuple[str, ...] = ("q16c",)
# Demographic items (option codes as strings, e.g. ethnicity "01".."18"; "pnts" = prefer not to say).
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = (
    "sex", "gender_identity", "age_band", "ethnicity", "sexual_orientation", "religion",
    "disability", "reasonable_adjustments", "staff_group",
)


def random_id() -> str:
    return uuid.uuid4().hex


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_wave_org", "wave_id", "org_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    extra_json: Mapped[str | None] = mapped_column(Text)

    # Bank questions and demographics, declared below from the tuples above.
    q4b: Mapped[int | None] = mapped_column(SmallInteger)
    q11d: Mapped[int | None] = mapped_column(SmallInteger)
    q11e: Mapped[int | None] = mapped_column(SmallInteger)
    q13a: Mapped[int | None] = mapped_column(SmallInteger)
    q13b: Mapped[int | None] = mapped_column(SmallInteger)
    q13c: Mapped[int | None] = mapped_column(SmallInteger)
    q14a: Mapped[int | None] = mapped_column(SmallInteger)
    q14b: Mapped[int | None] = mapped_column(SmallInteger)
    q14c: Mapped[int | None] = mapped_column(SmallInteger)
    q14d: Mapped[int | None] = mapped_column(SmallInteger)
    q15: Mapped[int | None] = mapped_column(SmallInteger)
    q16a: Mapped[int | None] = mapped_column(SmallInteger)
    q16b: Mapped[int | None] = mapped_column(SmallInteger)
    q16c: Mapped[str | None] = mapped_column(String(64))
    q17a: Mapped[int | None] = mapped_column(SmallInteger)
    q17b: Mapped[int | None] = mapped_column(SmallInteger)
    q25e: Mapped[int | None] = mapped_column(SmallInteger)
    q25f: Mapped[int | None] = mapped_column(SmallInteger)

    sex: Mapped[str | None] = mapped_column(String(8))
    gender_identity: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    ethnicity: Mapped[str | None] = mapped_column(String(8))
    sexual_orientation: Mapped[str | None] = mapped_column(String(8))
    religion: Mapped[str | None] = mapped_column(String(8))
    disability: Mapped[str | None] = mapped_column(String(8))
    reasonable_adjustments: Mapped[str | None] = mapped_column(String(8))
    staff_group: Mapped[str | None] = mapped_column(String(8))


class Comment(Base):
    """A free-text answer, encrypted, with no reference to the response it came with."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_wave_org", "wave_id", "org_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    question_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
