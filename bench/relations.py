"""What the release's model leaves out: hidden numbers an outsider pins with each family of
relations the shipped definitions imply (issue 18). A measurement, not a test.

    .venv/bin/python bench/relations.py [--seed N] [--integer]

Builds a seeded ICS of 10 practices with planted rare respondents (tests/support/planted.py, the one
tests/unit/analysis/test_nesting.py attacks: 1, 2, 10 and 11 BME staff at single practices,
a practice whose only Not stated respondent is Disabled; every WRES/WDES question answered),
its release (ethnicity in three and five groups, disability) and its response rates, then
attacks every downloadable number with tests.support's attacker, written apart from the
engine, three ways:

  tables        each indicator alone, its tables nested as the definitions say (White is
                White, BME is Mixed + Asian + Black + Other): what the release is protected
                against;
  respondents   every indicator at once, plus the relations between them (a numerator inside
                its base; WRES 6's base inside WDES 4(ii) or 4(iii); every base inside the
                people who answered) and the published number of answers per organisation;
  indicators    every indicator at once with the relations between them, but not the
                published number of answers (so the union and subset relations alone);
  inherent      only what no suppression can withhold (published totals and answers, every
                cell's size class): what that pins is pinned by any release.

A hidden number counts as pinned when its interval is narrower than the promise (2 for a
base under 11 with people in it, 1 otherwise; a count no more than its group's size) and
narrower than the inherent attack leaves it. Ends with
  RESULT hidden=... pinned_tables=... pinned_indicators=... pinned_respondents=... bases=... counts=... complements=...
  of_primary=... (pinned numbers of groups under 11) seconds=...
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import definitions  # noqa: E402
from tests.support import planted as seeded  # noqa: E402
from tests.support.attacker import Attack  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--integer", action="store_true", help="integer programming for narrow intervals too")
    args = ap.parse_args()
    t0 = time.perf_counter()
    orgs = seeded.orgs(seeded.PCNS)
    rows = seeded.people(orgs, seeded.SIZES, seed=args.seed, plant=seeded.PLANT)
    release, cells, prof = seeded.release_of(rows, orgs)
    table = release.table
    rate_frame = seeded.published_answers(prof, release, orgs)
    print(f"release: {len(table)} cells, {int((table['status'] != 'ok').sum())} hidden; "
          f"rates: {int((rate_frame['status'] != 'ok').sum())} of {len(rate_frame)} answer counts hidden "
          f"({time.perf_counter() - t0:.1f} s)")

    defs = definitions.shipped()
    parent = seeded.parents(orgs)
    true = seeded.truth(cells, orgs)
    frame = seeded.as_downloaded(table)

    def need_of(attack):
        return seeded.owed(attack.hidden, true)[0]

    inherent = Attack(defs, frame, rate_frame, parent, release.params.min_cell, inherent=True, relations=True)
    print(f"{len(inherent.hidden)} hidden numbers", flush=True)
    key = ["canon", "org_code", "dimension", "group", "what"]

    def pinned(attack, label):
        """Hidden numbers narrower than the promise under `attack` and narrower than the
        inherent attack leaves them (worked out for those numbers only)."""
        t = time.perf_counter()
        need = need_of(attack)
        got = attack.ranges(need, integer=args.integer, batches=40)
        got["need"] = need.to_numpy()
        short = got[(got["hi"] - got["lo"]) < got["need"] - 1e-6]
        if len(short):
            at = inherent.hidden.reset_index().merge(short[key], on=key)["index"].to_numpy()
            wide = inherent.ranges(need_of(inherent).loc[at], rows=at, batches=10)
            cap = short[key].merge(wide[key + ["lo", "hi"]].rename(columns={"lo": "ilo", "hi": "ihi"}),
                                   on=key, how="left")
            beyond = (short["hi"] - short["lo"]).to_numpy() < (cap["ihi"] - cap["ilo"]).fillna(np.inf).to_numpy() - 1e-6
            short = short[beyond]
        print(f"{label}: {len(short)} of {len(got)} hidden numbers pinned or too narrow "
              f"({time.perf_counter() - t:.1f} s)", flush=True)
        return short

    tables = []
    for ind in sorted(set(frame["indicator"])):
        mine = frame[frame["indicator"] == ind]
        for cols, dset in (({"ethnicity"}, ("all", "ethnicity_group", "ethnicity_broad")), ({"disability"}, ("all", "disability"))):
            part = mine[mine["dimension"].isin(dset)]
            if (part["status"] != "ok").any():
                tables.append(pinned(Attack(defs, part, None, parent, release.params.min_cell, relations=False, columns=cols),
                                     f"tables {ind} {sorted(cols)[0]}"))
    by_tables = pd.concat(tables)
    by_ind = pinned(Attack(defs, frame, None, parent, release.params.min_cell, relations=True), "indicators")
    by_all = pinned(Attack(defs, frame, rate_frame, parent, release.params.min_cell, relations=True), "respondents")
    examples = by_all.drop_duplicates(["canon", "org_code", "dimension", "group"]).head(5)
    for r in examples.itertuples():
        print(f"  e.g. {r.indicator} {r.org_level} {r.org_code} {r.dimension} {r.group!r} {r.what}: "
              f"{r.status}, pinned to {r.lo:g}..{r.hi:g}")
    kinds = by_all.groupby("what").size().to_dict()
    print(f"RESULT hidden={len(inherent.hidden)} pinned_tables={len(by_tables)} pinned_indicators={len(by_ind)} "
          f"pinned_respondents={len(by_all)} "
          f"bases={kinds.get('base', 0)} counts={kinds.get('count', 0)} complements={kinds.get('complement', 0)} "
          f"of_primary={int((by_all['status'] == 'primary').sum())} "
          f"seconds={time.perf_counter() - t0:.0f}")


if __name__ == "__main__":
    main()
