"""What the EDI lead actually gets from the demo's releases: the comparisons WRES and WDES
exist for, and how much is hidden. A measurement, not a test.

    .venv/bin/python bench/comparisons.py [--without-agreement]

Makes a fresh demo instance (`flask --app survey demo` in a temporary folder), then builds
each closed wave's release in this process exactly as the worker does (profiles, finest
cells, survey.analysis.build_release; nothing is stored) and prints per wave the cells and
hidden cells, and per organisation level the comparisons a reader can make: of the
(wave, indicator, organisation) where both groups of a comparison (BME and White; Disabled
and Non-disabled) hold 11 or more respondents, how many have both percents published.

--attack also attacks every release with the attacker written apart from the engine
(tests/support: every indicator, the relations between them, the published answers; the
ethnicity and disability tables) and counts the hidden bases it pins (the answers narrow
bases; bench/relations.py attacks counts and complements too). --wave NAME: only the
closed waves whose name contains NAME.

--without-agreement builds the same releases with the indicators' hidden groups not agreed
(survey.disclosure.respondents.agree off): what that protection costs the reader. Ends with
  RESULT waves=... cells=... hidden=... both_shown=... of=... protect_s=... [pinned=...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import flask_cli, instance_env  # noqa: E402

LEVELS = ("practice", "pcn", "place", "ics", "wave")


def releases(instance: Path, only: str = ""):
    """(wave name, Release) for every closed wave of the demo instance."""
    import datetime as dt

    from sqlalchemy import select

    from survey import create_app
    from survey.analysis import ReleaseParams, build_release, finest_cells, load_dimensions, load_indicators
    from survey.models import Wave
    from survey.releases.aggregate import profile_counts
    from survey.releases.build import asked_questions, org_frame

    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{instance / 'survey.db'}"})
    with app.app_context():
        session = app.extensions["survey.sessionmaker"]()
        dims = load_dimensions()
        inds = load_indicators(dimensions=dims)
        orgs = org_frame(session)
        today = dt.date.today()
        waves = session.scalars(select(Wave).order_by(Wave.closes_on)).all()
        for wave in waves:
            if not wave.is_finished(today) or only not in wave.name:
                continue
            prof = profile_counts(session, wave.id, inds, dims, asked_questions(wave))
            if prof.empty:
                continue
            cells = finest_cells(prof, inds, dims)
            t = time.perf_counter()
            rel = build_release(cells, orgs, ReleaseParams(), indicators=inds, dimensions=dims,
                                answers=prof.groupby("org_code")["n"].sum())
            yield wave.name, rel, time.perf_counter() - t, inds, true_bases(cells, orgs), (prof, orgs)
        session.close()


def true_bases(cells: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """Every organisation's true base and count per (indicator, organisation, characteristic, group),
    rolled up from the finest cells (the release table blanks hidden ones); the whole wave
    as "ALL"."""
    parent = dict(zip(orgs["code"].astype(str), orgs["parent_code"]))
    frames, rows = [], cells.assign(org_code=cells["org_code"].astype(str))
    while not rows.empty:
        frames.append(rows)
        up = rows["org_code"].map(parent)
        rows = rows.assign(org_code=up).dropna(subset=["org_code"])
    frames.append(cells.assign(org_code="ALL"))
    every = pd.concat(frames).astype({"indicator": str, "dimension": str, "group": str})
    return every.groupby(["indicator", "org_code", "dimension", "group"])[["base", "count"]].sum()


def comparisons(table: pd.DataFrame, inds, true: pd.Series) -> pd.DataFrame:
    """One row per (indicator, organisation, comparison) where both groups hold 11 or more:
    level and whether both are published."""
    t = table.astype({"indicator": str, "org_code": str, "org_level": str, "dimension": str, "group": str,
                      "status": str})
    t["base"] = true["base"].reindex(pd.MultiIndex.from_frame(t[["indicator", "org_code", "dimension", "group"]])) \
        .fillna(0).to_numpy()
    key = t.set_index(["indicator", "org_code", "dimension", "group"])
    rows = []
    for iid, ind in inds.items():
        for dim, a, b in ind.comparisons:
            try:
                ga = key.xs((iid, dim, a), level=["indicator", "dimension", "group"])
                gb = key.xs((iid, dim, b), level=["indicator", "dimension", "group"])
            except KeyError:
                continue
            both = ga.add_suffix("_a").join(gb.add_suffix("_b"), how="inner")
            both = both[(both["base_a"] >= 11) & (both["base_b"] >= 11)]
            rows.append(pd.DataFrame({"level": both["org_level_a"].to_numpy(),
                                      "shown": ((both["status_a"] == "ok") & (both["status_b"] == "ok")).to_numpy()}))
    return pd.concat(rows) if rows else pd.DataFrame(columns=["level", "shown"])


def attack(rel, prof, orgs, true) -> tuple[int, int]:
    """(hidden bases, pinned ones) of the ethnicity and disability tables against the
    attacker written apart from the engine (tests/support), knowing every indicator, the
    relations between them and the published number of answers; pinned means narrower than
    the promise and than the same attacker leaves it whatever is suppressed."""
    from tests.support import definitions
    from tests.support import planted as seeded
    from tests.support.attacker import Attack
    frame = seeded.as_downloaded(rel.table)
    frame = frame[frame["dimension"].isin(["all", "ethnicity_group", "ethnicity_broad", "disability"])]
    shown = set(frame["org_code"])
    parent = {str(c): (str(p) if isinstance(p, str) and p in shown else "ALL")
              for c, p in zip(orgs["code"], orgs["parent_code"]) if str(c) in shown}
    parent["ALL"] = None
    answers = seeded.published_answers(prof, rel, orgs)
    answers = answers[answers["org_code"].isin(parent)]
    defs = definitions.shipped()
    cols = {"ethnicity", "disability"}
    real = Attack(defs, frame, answers, parent, rel.params.min_cell, relations=True, columns=cols)
    need, _ = seeded.owed(real.hidden, true)
    bases = real.hidden.index[real.hidden["what"] == "base"]     # what the answers narrow
    got, short = real.pinned(need.loc[bases], rows=bases)
    for r in short.head(5).itertuples():
        print(f"  pinned: {r.indicator} {r.org_level} {r.org_code} {r.dimension} {r.group!r} {r.what}: "
              f"{r.status}, {r.lo:g}..{r.hi:g}")
    return len(got), len(short)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attack", action="store_true",
                    help="also attack each release with tests.support's attacker (slow)")
    ap.add_argument("--wave", default="", help="only closed waves whose name contains this")
    ap.add_argument("--without-agreement", action="store_true",
                    help="turn survey.disclosure.respondents.agree off (what it costs)")
    args = ap.parse_args()
    if args.without_agreement:
        from survey.disclosure import respondents
        respondents.agree = lambda grid, status, everybody: 0
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        flask_cli(instance_env(instance), "demo")
        seen, total = [], {"cells": 0, "hidden": 0, "s": 0.0}
        for name, rel, secs, inds, true, (prof, orgs) in releases(instance, args.wave):
            hidden = int((rel.table["status"].astype(str) != "ok").sum())
            print(f"{name}: {len(rel.table)} cells, {hidden} hidden, protected in {secs:.1f} s", flush=True)
            total["cells"] += len(rel.table)
            total["hidden"] += hidden
            total["s"] += secs
            seen.append(comparisons(rel.table, inds, true))
            if args.attack:
                n, pinned = attack(rel, prof, orgs, true)
                print(f"  attacker (every indicator, its relations, the published answers; ethnicity and "
                      f"disability): {pinned} of {n} hidden bases pinned", flush=True)
                total["pinned"] = total.get("pinned", 0) + pinned
    comp = pd.concat(seen)
    print("both groups of a comparison 11 or more: both percents published")
    for level in LEVELS:
        mine = comp[comp["level"] == level]
        if len(mine):
            print(f"  {level:<9} {int(mine['shown'].sum()):>4} of {len(mine)}")
    print(f"RESULT waves={len(seen)} cells={total['cells']} hidden={total['hidden']} "
          f"both_shown={int(comp['shown'].sum())} of={len(comp)} protect_s={total['s']:.0f}"
          + (f" pinned={total.get('pinned', 0)}" if args.attack else ""))


if __name__ == "__main__":
    main()
