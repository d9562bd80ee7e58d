"""Waves: one run of a survey for a set of organisations, between two dates.

Naming an organisation includes everything below it: the wave gets one
WaveOrganisation row per leaf (usually the practices). The definition is snapshotted
into the wave, so later edits of the YAML do not change what a wave asked.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey import audit
from survey.definitions.model import SurveyDefinition
from survey.models import Organisation, Response, Wave, WaveMode, WaveOrganisation
from survey.orgs import leaves_below, org_by_code

NAME_MAX = 120


class WaveError(ValueError):
    """Bad input for a wave operation; the message says what to do."""


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise WaveError(f"{what} '{text}' is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31.") from None


def wave_by_name(session: Session, name: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.name == name.strip()))
    if wave is None:
        names = list(session.scalars(select(Wave.name).order_by(Wave.opens_on.desc()).limit(10)))
        raise WaveError(f"No wave is called '{name}'. " + (f"Waves: {', '.join(names)}." if names else
                        "There are no waves yet: create one with `flask --app survey waves create`."))
    return wave


def org_or_error(session: Session, code: str) -> Organisation:
    org = org_by_code(session, code)
    if org is None:
        raise WaveError(f"No organisation has the code '{code}'. See `flask --app survey orgs list`.")
    return org


def create_wave(session: Session, definition: SurveyDefinition, name: str, org_codes: list[str],
                opens_on: dt.date, closes_on: dt.date, open_link: bool = False,
                actor_id: int | None = None) -> Wave:
    name = (name or "").strip()
    if not name:
        raise WaveError("Give the wave a name, e.g. 'Staff experience 2025'.")
    if len(name) > NAME_MAX:
        raise WaveError(f"The wave name is {len(name)} characters long; at most {NAME_MAX}.")
    if session.scalar(select(Wave.id).where(Wave.name == name)) is not None:
        raise WaveError(f"A wave called '{name}' exists already; choose another name.")
    if closes_on < opens_on:
        raise WaveError(f"The wave closes ({closes_on.day} {closes_on:%B %Y}) before it opens ({opens_on.day} {opens_on:%B %Y}): the closing date must be "
                        "on or after the opening date.")
    codes = [c.strip() for c in org_codes if c and c.strip()]
    if not codes:
        raise WaveError("Name at least one organisation (--orgs CODE[,CODE...]).")
    leaves: dict[int, Organisation] = {}
    for code in codes:
        for leaf in leaves_below(session, org_or_error(session, code)):
            leaves[leaf.id] = leaf
    wave = Wave(name=name, survey_id=definition.id, definition_json=definition.to_json(),
                mode=WaveMode.open_link if open_link else WaveMode.invitation,
                opens_on=opens_on, closes_on=closes_on, is_closed=False)
    wave.organisations = [WaveOrganisation(org_id=org_id, invited=0) for org_id in sorted(leaves)]
    session.add(wave)
    session.flush()
    audit.record(session, actor_id, "wave.create", "wave", wave.id,
                 {"name": name, "survey": definition.id, "version": definition.version,
                  "organisations": len(leaves), "mode": wave.mode.value})
    return wave


def close_wave(session: Session, name: str, actor_id: int | None = None) -> Wave:
    """Close the wave and, if anyone answered it, queue its release (survey/releases/jobs.py)
    in the same transaction; after the commit the caller tells the queue
    (survey.jobs.enqueue_build), and if that message is lost the worker's sweep sends it."""
    from survey.releases.jobs import request_build

    wave = wave_by_name(session, name)
    if wave.is_closed:
        raise WaveError(f"The wave '{wave.name}' is closed already.")
    wave.is_closed = True
    audit.record(session, actor_id, "wave.close", "wave", wave.id, {"name": wave.name})
    if session.scalar(select(Response.id).where(Response.wave_id == wave.id).limit(1)) is not None:
        request_build(session, wave, rebuild=False, actor_id=actor_id)
    return wave


def wave_org(session: Session, wave: Wave, code: str) -> WaveOrganisation:
    """The wave's row for this organisation; the error says which organisations take part."""
    org = org_or_error(session, code)
    row = session.get(WaveOrganisation, (wave.id, org.id))
    if row is None:
        ids = [w.org_id for w in wave.organisations]
        codes = sorted(session.scalars(select(Organisation.code).where(Organisation.id.in_(ids))))
        shown = ", ".join(codes[:20]) + (f" and {len(codes) - 20} more" if len(codes) > 20 else "")
        raise WaveError(f"'{org.code}' ({org.name}, a {org.level.value}) does not take part in the wave "
                        f"'{wave.name}' itself; its organisations are: {shown}.")
    return row


def set_invited(session: Session, wave: Wave, code: str, count: int, actor_id: int | None = None) -> WaveOrganisation:
    """For an open-link wave: how many staff were invited (the response rate's denominator)."""
    if wave.mode is not WaveMode.open_link:
        raise WaveError(f"The wave '{wave.name}' is invitation-only: its invited counts come from the tokens "
                        "issued (`flask --app survey tokens issue`).")
    if count <= 0:
        raise WaveError(f"The number invited must be at least 1 (got {count}).")
    row = wave_org(session, wave, code)
    row.invited = count
    audit.record(session, actor_id, "wave.invited", "wave", wave.id, {"org": code, "invited": count})
    return row


@dataclass(frozen=True)
class WaveSummary:
    wave: Wave
    organisations: int
    invited: int
    responses: int

    def status(self, today: dt.date) -> str:
        if self.wave.is_finished(today):
            return "closed"
        return "open" if self.wave.is_open_on(today) else "not yet open"


def closed_early(session: Session, waves) -> set[int]:
    """Ids of the waves an administrator closed before their last day (from the audit trail:
    a wave closed on or after its date, or marked closed by the demo, was not closed early)."""
    from survey.models import AuditEvent
    by_id = {str(w.id): w for w in waves if w.is_closed}
    if not by_id:
        return set()
    events = session.execute(select(AuditEvent.object_id, func.min(AuditEvent.at))
                             .where(AuditEvent.action == "wave.close", AuditEvent.object_id.in_(list(by_id)))
                             .group_by(AuditEvent.object_id)).all()
    return {by_id[oid].id for oid, at in events if at is not None and at.date() < by_id[oid].closes_on}


def list_waves(session: Session) -> list[WaveSummary]:
    counts = dict(session.execute(select(Response.wave_id, func.count()).group_by(Response.wave_id)).all())
    out = []
    for wave in session.scalars(select(Wave).order_by(Wave.opens_on, Wave.name)):
        out.append(WaveSummary(wave, len(wave.organisations), sum(o.invited for o in wave.organisations),
                               counts.get(wave.id, 0)))
    return out
