"""Waves (one run of a survey), their organisations, invitations, drafts and open links.

Invitations and drafts are keyed by the token's HMAC and stored WITHOUT ROWID on SQLite,
so their physical order is the (random) hash order: nothing records when a token was used.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, Enum, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.db import Base


class WaveMode(str, enum.Enum):
    invitation = "invitation"   # one-time tokens
    open_link = "open_link"     # one shared link per organisation


class Wave(Base):
    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    survey_id: Mapped[str] = mapped_column(String(80))
    # The definition as it was when the wave was created (JSON text), so later edits of
    # the YAML do not change what a running or finished wave asked.
    definition_json: Mapped[str] = mapped_column(String)
    mode: Mapped[WaveMode] = mapped_column(Enum(WaveMode, native_enum=False, length=16), default=WaveMode.invitation)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    # Closed early by an administrator (results need a closed wave).
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)

    organisations: Mapped[list["WaveOrganisation"]] = relationship(back_populates="wave", cascade="all, delete-orphan")

    def is_open_on(self, day: dt.date) -> bool:
        return (not self.is_closed) and self.opens_on <= day <= self.closes_on

    def is_finished(self, day: dt.date) -> bool:
        return self.is_closed or day > self.closes_on


class WaveOrganisation(Base):
    """An organisation taking part in a wave (the leaves: practices, or the named org)."""

    __tablename__ = "wave_organisations"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # How many invitations were handed out (tokens issued, or the number an administrator
    # states for an open-link wave); the denominator of the response rate.
    invited: Mapped[int] = mapped_column(default=0)

    wave: Mapped[Wave] = relationship(back_populates="organisations")


class Invitation(Base):
    """A one-time token, stored only as HMAC-SHA256(pepper, token). No date of use."""

    __tablename__ = "invitations"
    __table_args__ = {"sqlite_with_rowid": False}

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    is_used: Mapped[bool] = mapped_column(Boolean, default=False)


class Draft(Base):
    """Answers in progress, encrypted, keyed by the token hash (or an open-link session
    id). Deleted in the transaction that stores the response."""

    __tablename__ = "drafts"
    __table_args__ = {"sqlite_with_rowid": False}

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    updated_on: Mapped[dt.date] = mapped_column(Date)


class OpenLink(Base):
    """The shared link of an open-link wave for one organisation."""

    __tablename__ = "open_links"
    __table_args__ = (UniqueConstraint("wave_id", "org_id"),)

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
