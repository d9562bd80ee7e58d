"""Build and freeze a wave's release; read frozen releases back.

Only a finished wave gets a release: while a wave is open, live counts would show who had
just answered. The first build is version 1 and is never changed. A rebuild (late
responses imported, say) is version n+1 and starts from every suppression of version n,
so nothing once hidden is ever published (disclosure control is monotone).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from survey.analysis import (ReleaseParams, build_release, finest_cells, load_dimensions,
                             load_indicators)
from survey.analysis.release import DisclosureError
from survey.audit import record
from survey.definitions.model import SurveyDefinition
from survey.models import Organisation, Wave
from survey.models.releases import Release, ReleasePart
from survey.releases.aggregate import profile_counts
from survey.releases.frames import frame_from_bytes, frame_to_bytes
from survey.releases.rates import response_rates

# threads for work that lets go of the interpreter (compressing, numpy): 2 cores in production
WORKERS = min(2, os.cpu_count() or 1)


class ReleaseError(Exception):
    """A release cannot be built or read; the message says what to do."""


def params_from_config(config) -> ReleaseParams:
    return ReleaseParams(min_cell=int(config["MIN_CELL"]), count_k=int(config["COUNT_RULE_K"]),
                         protection=float(config["PROTECTION_LEVEL"]))


def asked_questions(wave: Wave) -> set[str] | None:
    """Question ids the wave's survey asked (None if the stored definition cannot be read)."""
    try:
        return {q.id for q in SurveyDefinition.from_json(wave.definition_json).questions()}
    except (ValueError, KeyError, TypeError):
        return None


def org_frame(session: Session) -> pd.DataFrame:
    """DataFrame[code, name, level, parent_code] of every organisation (a few thousand rows)."""
    rows = session.execute(select(Organisation.id, Organisation.code, Organisation.name,
                                  Organisation.level, Organisation.parent_id)).all()
    code_of = {r.id: r.code for r in rows}
    return pd.DataFrame({
        "code": [r.code for r in rows], "name": [r.name for r in rows],
        "level": [getattr(r.level, "value", r.level) for r in rows],
        "parent_code": [code_of.get(r.parent_id) for r in rows],
    }, columns=["code", "name", "level", "parent_code"])


def latest_release(session: Session, wave_id: int) -> Release | None:
    return session.scalars(select(Release).where(Release.wave_id == wave_id)
                           .order_by(Release.version.desc()).limit(1)).first()


def require_finished(wave: Wave, today: dt.date) -> None:
    if not wave.is_finished(today):
        raise ReleaseError(f"Wave {wave.name!r} is still open (it closes on {wave.closes_on.isoformat()}). "
                           "Results are released only after a wave has closed: live counts would show who has just answered.")


@dataclass
class Built:
    release: Release
    created: bool
    timings: dict = field(default_factory=dict)


def build_wave_release(session: Session, wave: Wave, params: ReleaseParams, *, today: dt.date | None = None,
                       rebuild: bool = False, built_by: int | None = None,
                       progress: Callable[[str], None] | None = None) -> Built:
    """The wave's frozen release: the latest one, or a new one when there is none (or when
    `rebuild`, a new version keeping every earlier suppression). Caller commits.

    `progress(stage)` is told each stage as it starts: "aggregating", "protecting" (the
    suppression and its exact audit, most of the time), "storing". It is called before
    this session writes anything, so it may write elsewhere without waiting for this
    transaction's locks."""
    today = today or dt.date.today()
    require_finished(wave, today)
    latest = latest_release(session, wave.id)
    if latest is not None and not rebuild:
        return Built(latest, False)
    tell = progress or (lambda stage: None)
    tell("aggregating")
    t0 = time.perf_counter()
    dimensions = load_dimensions()
    indicators = load_indicators(dimensions=dimensions)
    profiles = profile_counts(session, wave.id, indicators, dimensions, asked_questions(wave))
    if profiles.empty:
        raise ReleaseError(f"Wave {wave.name!r} has no responses, so there are no results to release.")
    t_agg = time.perf_counter()
    # what the response rates need of the profiles, before they go: a national wave's
    # profiles and finest cells are a gigabyte between them, not needed during protection
    answered = profiles.groupby("org_code", sort=False)["n"].sum()
    base_cols = [c for c in profiles.columns if c.endswith("__base")]
    leaf_bases = profiles.groupby("org_code", sort=False)[base_cols].sum()
    leaf_bases.columns = [c[: -len("__base")] for c in base_cols]
    n_profiles = len(profiles)
    cells = finest_cells(profiles, indicators, dimensions)
    del profiles
    orgs = org_frame(session)
    previous = None if latest is None else load_part(latest, "pattern")
    tell("protecting")
    try:
        rel = build_release(cells, orgs, params, previous=previous, indicators=indicators, dimensions=dimensions,
                            answers=answered)
    except DisclosureError:
        # Not the error's own text: it names the first unprotected cell and its bounds, which
        # are what suppression hides. This message is shown on the wave page and logged.
        raise ReleaseError(f"The release of {wave.name!r} was not built: the audit could not prove every hidden "
                           "number safe, so nothing may be released. Ask the service team to look at the "
                           "disclosure settings (MIN_CELL, PROTECTION_LEVEL).") from None
    t_rel = time.perf_counter()
    tell("storing")
    prev_rates = None if latest is None else load_part(latest, "rates")
    table = rel.table
    hid = table.loc[(table["dimension"].astype(str) == "all") & (table["status"].astype(str) != "ok"),
                    ["org_code", "indicator"]].astype(str)
    hidden_totals = {"leaf_bases": leaf_bases, "hidden": set(map(tuple, hid.to_numpy()))}
    rates = response_rates(session, wave, answered, orgs, params, previous=prev_rates, hidden_totals=hidden_totals)
    release = Release(wave_id=wave.id, version=1 if latest is None else latest.version + 1,
                      built_at=dt.datetime.now(dt.timezone.utc), built_by=built_by,
                      min_cell=params.min_cell, count_k=params.count_k, protection=float(params.protection),
                      indicators=",".join(str(i) for i in rel.table["indicator"].cat.categories),
                      audit_json=json.dumps(rel.audit.as_dict(), default=str))
    session.add(release)
    session.flush()
    _store(session, release, rel.table, rel.gaps, rel.pattern, rates)
    t_store = time.perf_counter()
    record(session, built_by, "release.build", "wave", wave.id,
           {"version": release.version, "suppressed": int(rel.audit.suppressed), "rebuild": latest is not None})
    return Built(release, True, {"aggregate_s": t_agg - t0, "protect_s": t_rel - t_agg, "store_s": t_store - t_rel,
                                 "profiles": n_profiles, "cells": len(rel.table), "core": dict(rel.timings)})


def _store(session: Session, release: Release, table: pd.DataFrame, gaps: pd.DataFrame,
           pattern: pd.DataFrame, rates: pd.DataFrame) -> None:
    ind = table["indicator"]
    codes = ind.cat.codes.to_numpy()

    def encoded(k: int) -> bytes | None:
        rows = np.flatnonzero(codes == k)
        if len(rows) == 0:
            return None
        part = table.iloc[rows].reset_index(drop=True)
        part["indicator"] = part["indicator"].cat.remove_unused_categories()
        return frame_to_bytes(part)

    # zlib releases the interpreter while it compresses, most of the packing's time: two
    # tables at a time took the national release's 15 from 1.5 to 0.9 s (and only two of
    # the tables' copies are alive at once)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        blobs = list(pool.map(encoded, range(len(ind.cat.categories))))
    parts = [ReleasePart(release_id=release.id, kind="table", key=str(iid), data=blob)
             for iid, blob in zip(ind.cat.categories, blobs) if blob is not None]
    parts.append(ReleasePart(release_id=release.id, kind="gaps", key="", data=frame_to_bytes(gaps.astype(
        {c: object for c in ("indicator", "org_level", "org_code", "dimension", "group_a", "group_b")}))))
    parts.append(ReleasePart(release_id=release.id, kind="pattern", key="", data=frame_to_bytes(pattern)))
    parts.append(ReleasePart(release_id=release.id, kind="rates", key="", data=frame_to_bytes(rates)))
    session.add_all(parts)
    session.flush()


def part_bytes(release: Release, kind: str, key: str = "") -> bytes | None:
    """One stored part's bytes, read alone (release.parts would load every table and the
    workbook); None if the release has no such part."""
    session = object_session(release)
    if session is None:
        return next((p.data for p in release.parts if p.kind == kind and p.key == key), None)
    return session.scalar(select(ReleasePart.data).where(
        ReleasePart.release_id == release.id, ReleasePart.kind == kind, ReleasePart.key == key))


def load_part(release: Release, kind: str, key: str = "") -> pd.DataFrame:
    data = part_bytes(release, kind, key)
    if data is None:
        raise ReleaseError(f"release {release.id} has no {kind} {key}".strip())
    return frame_from_bytes(data)


def load_table(session: Session, release: Release, indicator: str | None = None) -> pd.DataFrame:
    """The release's cells: one indicator's, or all of them (in release order)."""
    ids = release_indicators(release)
    if indicator is not None:
        if indicator not in ids:
            raise ReleaseError(f"indicator {indicator!r} is not in this release")
        ids = [indicator]
    blobs = dict(session.execute(select(ReleasePart.key, ReleasePart.data).where(
        ReleasePart.release_id == release.id, ReleasePart.kind == "table", ReleasePart.key.in_(ids))).all())
    frames = [frame_from_bytes(blobs[i]) for i in ids if i in blobs]
    if not frames:
        raise ReleaseError(f"release {release.id} has no table")
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for c in ("indicator", "org_level", "org_code", "org_name", "dimension", "group", "status"):
        if not isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("category")
    return out


def release_indicators(release: Release) -> list[str]:
    return [i for i in release.indicators.split(",") if i]


def release_audit(release: Release) -> dict:
    return json.loads(release.audit_json)
