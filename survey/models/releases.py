"""Frozen releases: the disclosure-controlled results of a closed wave.

A release is built once per wave (version 1) and never changed. A rebuild (for example
after late responses were imported) is a new version that starts from every suppression
of the one before, so nothing once hidden is ever published. Every page, download and
chart reads a release; nothing reads the responses to show a number.

The tables (indicator cells, gaps, response rates and the suppression pattern) are stored
as compact column blobs (survey.releases.frames), one per indicator for the big table, so
a page loads only what it shows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.db import Base


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("wave_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    built_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # The disclosure rule it was built with.
    min_cell: Mapped[int] = mapped_column(Integer)
    count_k: Mapped[int] = mapped_column(Integer)
    protection: Mapped[float] = mapped_column(Float)
    # Indicator ids in the release (comma separated) and the audit summary (JSON).
    indicators: Mapped[str] = mapped_column(Text)
    audit_json: Mapped[str] = mapped_column(Text)

    parts: Mapped[list["ReleasePart"]] = relationship(back_populates="release", cascade="all, delete-orphan")


class ReleasePart(Base):
    """One stored table of a release: kind `table` (key = indicator id), `gaps`, `rates`
    or `pattern` (key empty)."""

    __tablename__ = "release_parts"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    release: Mapped[Release] = relationship(back_populates="parts")
