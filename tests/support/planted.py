"""A seeded ICS with planted rare respondents, and what the promise owes each hidden number.

Shared by tests/unit/analysis (test_nesting.py, test_respondents.py) and bench/relations.py:
10 practices in four PCNs under two places, random staff, plus 1, 2, 10 and 11 BME staff at
single practices and a practice whose only Not stated respondent is Disabled; the release of
such rows as the product builds it, and the attack with everything a reader can download.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PROTECTION = 2
ETH_CODES = {"White": ["01", "02"], "Mixed": ["05", "07"], "Asian": ["09", "12"], "Black": ["14", "15"],
             "Other": ["17"], "Not stated": [None, "19"]}
SIZES = {"P00": 14, "P01": 30, "P02": 9, "P10": 25, "P11": 12, "P20": 40, "P21": 18, "P22": 6,
         "P30": 22, "P31": 16}
PLANT = [("P02", "Black", None),                                     # 1 BME at a practice
         ("P22", "Asian", None), ("P22", "Mixed", None),             # 2
         *[("P11", "Asian", None)] * 10,                             # 10
         *[("P31", "Black", None)] * 11,                             # 11
         ("P21", "Not stated", "1")]                                 # a Not stated who is Disabled
PCNS = [3, 2, 3, 2]


def orgs(pcns: list[int]) -> pd.DataFrame:
    rows = [("I1", "ICS one", "ics", None), ("L1", "Place one", "place", "I1"), ("L2", "Place two", "place", "I1")]
    for n, size in enumerate(pcns):
        rows.append((f"N{n}", f"PCN {n}", "pcn", f"L{1 + n % 2}"))
        rows += [(f"P{n}{p}", f"Practice {n}{p}", "practice", f"N{n}") for p in range(size)]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])


def parents(orgs: pd.DataFrame) -> dict:
    """code -> parent code, the top under the wave ("ALL"), as the attacker takes it."""
    out = {c: (p if isinstance(p, str) else "ALL") for c, p in zip(orgs["code"], orgs["parent_code"])}
    out["ALL"] = None
    return out


def people(orgs: pd.DataFrame, sizes: dict, seed: int, plant=()) -> list[dict]:
    rng = np.random.default_rng(seed)
    groups = list(ETH_CODES)
    rows = []
    for org in orgs.loc[orgs["level"] == "practice", "code"]:
        for _ in range(sizes.get(org, 0)):
            g = groups[rng.choice(6, p=[0.62, 0.05, 0.14, 0.1, 0.03, 0.06])]
            rows.append(_person(org, g, rng))
    for org, g, disability in plant:
        rows.append(_person(org, g, rng, disability))
    return rows


def _person(org, group, rng, disability=None) -> dict:
    codes = ETH_CODES[group]
    return {"org_code": org, "ethnicity": codes[rng.integers(len(codes))],
            "disability": disability or str(rng.choice(["1", "2", "3"], p=[0.2, 0.75, 0.05])),
            "q14a": int(rng.choice([1, 2, 3])), "q14b": int(rng.choice([1, 2, 3])),
            "q15": int(rng.choice([1, 2, 9])), "q16a": int(rng.choice([1, 2])), "q17a": int(rng.choice([1, 2, 3]))}


def truth(cells: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """Every organisation's true base and count, rolled up from the leaves (not by the engine)."""
    parent = parents(orgs)
    frames, rows = [], cells
    while not rows.empty:
        frames.append(rows)
        rows = rows.assign(org_code=rows["org_code"].map(parent)).dropna(subset=["org_code"])
    every = pd.concat(frames)
    return every.groupby(["indicator", "org_code", "dimension", "group"], observed=True)[["base", "count"]].sum()


def owed(hidden: pd.DataFrame, true: pd.DataFrame, protection: int = PROTECTION) -> tuple[pd.Series, np.ndarray]:
    """Per hidden number (an Attack's `hidden` rows): the width the promise owes it (the
    protection level for a base under N with people in it, 1 otherwise, none for a group
    empty in the whole wave; a count or complement no more than its group's size), and its
    true value."""
    key = list(zip(hidden["indicator"], hidden["org_code"], hidden["dimension"], hidden["group"]))
    x = np.array([true["base"].get(k, 0) for k in key], float)
    y = np.array([true["count"].get(k, 0) for k in key], float)
    empty = np.array([true["base"].get((k[0], "ALL", k[2], k[3]), 0) == 0 for k in key])
    level = np.where(empty, 0, np.where((hidden["status"] == "primary") & (x > 0), protection, 1))
    what = hidden["what"].to_numpy()
    need = pd.Series(np.where(what == "base", level, np.minimum(level, x)), index=hidden.index).astype(float)
    value = np.where(what == "base", x, np.where(what == "count", y, x - y))
    return need, value


def published_answers(prof: pd.DataFrame, release, orgs: pd.DataFrame) -> pd.DataFrame:
    """The release's response rates as a reader of response_rates.csv has them (every
    invitation answered by half: the counts of answers are what matter), protected the way
    survey.releases.build protects them beside the release."""
    from survey.releases.rates import protect_rates
    answered = prof.groupby("org_code")["n"].sum()
    base_cols = [c for c in prof.columns if c.endswith("__base")]
    leaf_bases = prof.groupby("org_code")[base_cols].sum()
    leaf_bases.columns = [c[: -len("__base")] for c in base_cols]
    table = release.table
    hid = table.loc[(table["dimension"].astype(str) == "all") & (table["status"].astype(str) != "ok"),
                    ["org_code", "indicator"]].astype(str)
    rates = protect_rates(pd.Series(answered * 2), answered, orgs, release.params,
                          hidden_totals={"leaf_bases": leaf_bases, "hidden": set(map(tuple, hid.to_numpy()))})
    return rates.astype({"org_code": str, "status": str})


def as_downloaded(table: pd.DataFrame) -> pd.DataFrame:
    """A release table as a reader of indicators.csv has it: plain strings and floats."""
    frame = table.astype({"base": "float", "count": "float"}).copy()
    for c in ("indicator", "org_code", "org_level", "dimension", "group", "status"):
        frame[c] = frame[c].astype(str)
    return frame


def release_of(rows: list[dict], orgs: pd.DataFrame, params=None, previous=None, dims=None):
    """(release, finest cells, profiles) of respondent rows, built as survey.releases.build
    does (the answers per organisation given to the protection). dims: the characteristics
    to release (default: the two ethnicity tables and disability)."""
    from survey.analysis import ReleaseParams, build_release, finest_cells, load_dimensions, load_indicators
    from tests.support.profiles import profiles
    every = load_dimensions()
    dimensions = {k: every[k] for k in (dims or ("all", "ethnicity_group", "ethnicity_broad", "disability"))}
    inds = load_indicators(dimensions=every)          # comparisons over other characteristics are skipped
    prof = profiles(rows, inds)
    cells = finest_cells(prof, inds, dimensions)
    release = build_release(cells, orgs, params or ReleaseParams(), previous=previous, indicators=inds,
                            dimensions=dimensions, answers=prof.groupby("org_code")["n"].sum())
    return release, cells, prof


def pinned_by_everything(release, cells: pd.DataFrame, orgs: pd.DataFrame, prof: pd.DataFrame,
                         what: str | None = None) -> pd.DataFrame:
    """Hidden numbers (of one kind: base, count or complement, if `what`) narrower than the
    promise, and than the same attacker leaves them whatever is suppressed, against every
    indicator at once, every relation between them, the nesting and the published number of
    answers (tests.support.attacker)."""
    from tests.support import definitions
    from tests.support.attacker import Attack
    defs = definitions.shipped()
    parent = parents(orgs)
    frame = as_downloaded(release.table)
    answers = published_answers(prof, release, orgs)
    attack = Attack(defs, frame, answers, parent, release.params.min_cell, relations=True)
    hidden = attack.hidden
    need, v = owed(hidden, truth(cells, orgs))
    rows = hidden.index if what is None else hidden.index[hidden["what"] == what]
    got, short = attack.pinned(need.loc[rows], rows=rows)
    # the truth lies in every interval worked out exactly (the model is sound; a wide enough
    # interval is only a proven lower bound on the width, sampled from feasible points)
    v = v[rows.to_numpy()]
    exact = got["exact"].to_numpy(bool)
    assert ((got["lo"] <= v + 1e-6) & (v <= got["hi"] + 1e-6))[exact].all()
    return short
