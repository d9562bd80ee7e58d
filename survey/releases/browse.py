"""What the EDI lead's pages show, read from frozen releases only (no Flask here).

Each function returns plain values for a template; the views only parse the request,
check access, call one of these, audit and render.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Wave
from survey.models.releases import Release
from survey.releases.build import latest_release, load_part, load_table, release_indicators
from survey.releases.charts import chart_rows
from survey.releases.words import LEVEL_LABELS, LEVEL_ORDER, Labels, benchmarks_for, suppression_words

COMPARISON_PAIRS = {
    "ethnicity": ("ethnicity_group", "BME", "White"),
    "disability": ("disability", "Disabled", "Non-disabled"),
}


@dataclass
class WaveItem:
    wave: Wave
    finished: bool
    release: Release | None
    build_state: str | None = None      # the wave's build (survey/releases/jobs.py): queued, running, done, failed


def wave_listing(session: Session, today: dt.date) -> list[WaveItem]:
    from survey.models.jobs import ReleaseBuild
    waves = session.scalars(select(Wave).order_by(Wave.closes_on.desc(), Wave.name)).all()
    states = dict(session.execute(select(ReleaseBuild.wave_id, ReleaseBuild.state)).all())
    return [WaveItem(w, w.is_finished(today), latest_release(session, w.id) if w.is_finished(today) else None,
                     states.get(w.id)) for w in waves]


def org_options(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(code, label) of every organisation in a release table: wave first, then by level."""
    orgs = table[["org_level", "org_code", "org_name"]].drop_duplicates().astype(str)
    orgs["_r"] = orgs["org_level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    orgs = orgs.sort_values(["_r", "org_code"])
    return [(c, f"{LEVEL_LABELS.get(lv, lv)}: {n}" + ("" if c == "ALL" else f" ({c})"))
            for lv, c, n in orgs[["org_level", "org_code", "org_name"]].itertuples(index=False)]


@dataclass
class IndicatorView:
    indicator: str
    org_code: str
    dimension: str
    org_name: str = ""
    org_level: str = ""
    rows: list[dict] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    benchmarks: list[dict] = field(default_factory=list)
    benchmark_source: str = ""
    own_total_hidden: bool = False


def indicator_view(session: Session, release: Release, table: pd.DataFrame, labels: Labels,
                   iid: str, org_code: str, dimension: str) -> IndicatorView:
    view = IndicatorView(iid, org_code, dimension)
    rows = chart_rows(table, iid, org_code, dimension, labels)
    if len(rows):
        view.org_name, view.org_level = str(rows["org_name"].iloc[0]), str(rows["org_level"].iloc[0])
    for r in rows.itertuples(index=False):
        st = str(r.status)
        view.rows.append({
            "group": str(r.group), "status": st, "shown": st == "ok",
            "base": None if st != "ok" else int(r.base), "count": None if st != "ok" else int(r.count),
            "percent": None if st != "ok" else f"{float(r.percent):.2f}",
            "ci": None if st != "ok" else f"{float(r.ci_low):.2f} to {float(r.ci_high):.2f}",
            "why": suppression_words(st, release),
        })
    own = table[(table["indicator"].astype(str) == iid) & (table["org_code"].astype(str) == org_code)
                & (table["dimension"].astype(str) == "all")]
    view.own_total_hidden = bool(len(own)) and str(own["status"].iloc[0]) != "ok"
    gaps = load_part(release, "gaps")
    sel = gaps[(gaps["indicator"].astype(str) == iid) & (gaps["org_code"].astype(str) == org_code)
               & (gaps["dimension"].astype(str) == dimension)]
    for g in sel.itertuples(index=False):
        shown = pd.notna(g.gap_pp)
        view.gaps.append({"a": g.group_a, "b": g.group_b, "shown": shown,
                          "gap": f"{g.gap_pp:+.2f}" if shown else None,
                          "ci": f"{g.gap_low:+.2f} to {g.gap_high:+.2f}" if shown else None})
    bench = benchmarks_for(iid)
    view.benchmarks = [{"group": g, "percent": f"{p:.1f}", "year": int(y)}
                       for g, p, y in bench[["group", "percent", "year"]].itertuples(index=False)]
    view.benchmark_source = str(bench["source"].iloc[0]) if len(bench) else ""
    return view


@dataclass
class TrendView:
    indicator: str
    org_code: str
    pair: str
    groups: tuple[str, str]
    columns: list[dict] = field(default_factory=list)     # one per wave
    lines: list[dict] = field(default_factory=list)       # one per group, then the gap


def trend_waves(session: Session, wave: Wave, today: dt.date) -> list[tuple[Wave, Release]]:
    """Finished waves of the same survey that have a frozen release, oldest first."""
    waves = session.scalars(select(Wave).where(Wave.survey_id == wave.survey_id)
                            .order_by(Wave.opens_on, Wave.name)).all()
    out = []
    for w in waves:
        if not w.is_finished(today):
            continue
        rel = latest_release(session, w.id)
        if rel is not None:
            out.append((w, rel))
    return out


def unprepared_waves(session: Session, wave: Wave, today: dt.date) -> list[Wave]:
    """Finished waves of the same survey whose results have not been prepared: the trend
    leaves them out and says so."""
    waves = session.scalars(select(Wave).where(Wave.survey_id == wave.survey_id)
                            .order_by(Wave.opens_on, Wave.name)).all()
    return [w for w in waves if w.is_finished(today) and latest_release(session, w.id) is None]


def trend_view(session: Session, waves: list[tuple[Wave, Release]], iid: str, org_code: str, pair: str) -> TrendView:
    dimension, ga, gb = COMPARISON_PAIRS[pair]
    view = TrendView(iid, org_code, pair, (ga, gb))
    cells: dict[tuple[int, str], dict] = {}
    gap_cells: dict[int, dict] = {}
    for k, (w, rel) in enumerate(waves):
        view.columns.append({"wave": w.name, "year": w.closes_on.year, "version": rel.version})
        if iid not in release_indicators(rel):
            continue
        table = load_table(session, rel, iid)
        sel = table[(table["org_code"].astype(str) == org_code) & (table["dimension"].astype(str) == dimension)]
        for r in sel.itertuples(index=False):
            if str(r.group) in (ga, gb):
                st = str(r.status)
                cells[(k, str(r.group))] = {
                    "shown": st == "ok", "why": suppression_words(st, rel),
                    "percent": f"{float(r.percent):.2f}" if st == "ok" else None,
                    "base": int(r.base) if st == "ok" else None}
        gaps = load_part(rel, "gaps")
        g = gaps[(gaps["indicator"].astype(str) == iid) & (gaps["org_code"].astype(str) == org_code)
                 & (gaps["dimension"].astype(str) == dimension)]
        if len(g):
            v = g.iloc[0]
            gap_cells[k] = {"shown": pd.notna(v.gap_pp),
                            "gap": f"{v.gap_pp:+.2f}" if pd.notna(v.gap_pp) else None}
    for group in (ga, gb):
        view.lines.append({"label": group, "cells": [cells.get((k, group)) for k in range(len(waves))]})
    view.lines.append({"label": f"Gap ({ga} minus {gb}, percentage points)", "gap": True,
                       "cells": [gap_cells.get(k) for k in range(len(waves))]})
    return view
