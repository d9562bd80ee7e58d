"""The build of a wave's release, as a claim row: what is asked, who holds it, how it ended.

One row per wave (the wave id is the key), so "two workers never build the same release
at once" is a property of the database rather than of the queue: a worker may build only
after it has moved this row from `queued` (or from `running` with a lapsed lease, when the
worker that held it died) to `running` under its own name, in one UPDATE. The queue
(survey.jobs) only carries the nudge "look at wave N"; a lost or duplicated message
changes nothing. The stage of a running build (aggregating, protecting, ...) is kept in
the queue's store instead, so that reporting it never waits for the build's own write
transaction (on SQLite that holds the only write lock until it commits).

States: queued -> running -> done | failed (gave up: a refusal such as "no responses",
or three attempts that did not finish). `error` holds our own words or an exception's
type name only, never an exception's text, which could quote respondent data.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base


class ReleaseBuild(Base):
    __tablename__ = "release_builds"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    rebuild: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # when the queue was last told about it (the sweep tells it again if nothing happened)
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the running attempt's holder ("host:pid:thread") and how long its claim lasts unless renewed
    worker: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)     # the release version the build made


class ReleaseWatcher(Base):
    """A staff member who asked for an e-mail when the wave's build ends (ready, or
    stopped). The e-mail says only that, with a link; the row goes once it is sent."""

    __tablename__ = "release_watchers"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
