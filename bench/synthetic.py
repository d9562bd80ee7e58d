"""Synthetic survey data with realistic structure and real group differences.

Used by bench/analysis.py (national scale: 700,000 responses from 6,500 practices in
1,250 PCNs, 42 ICSs) and by tests at a small scale. Everything is vectorised numpy; rows
go into the database with bulk inserts (executemany on SQLite, COPY on PostgreSQL).

Codes are the shared contract (COMMON.md): bank questions as integers, demographics as
canonical strings, None = not answered.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import numpy as np

BANK = ("q4b", "q11d", "q11e", "q13a", "q13b", "q13c", "q14a", "q14b", "q14c", "q14d",
        "q15", "q16a", "q16b", "q17a", "q17b", "q25e", "q25f")
DEMOGRAPHICS = ("sex", "gender_identity", "age_band", "ethnicity", "sexual_orientation", "religion",
                "disability", "reasonable_adjustments", "staff_group")

# (code, weight); None = not answered.
SEX = [("1", 78), ("2", 19), ("3", .5), ("4", .3), ("5", 2), (None, .5)]
GENDER_IDENTITY = [("1", 94), ("2", .8), ("3", 4), (None, 1.2)]
AGE = [("1", 3), ("2", 17), ("3", 23), ("4", 25), ("5", 29), ("6", 2), ("7", 1)]
ETHNICITY_WHITE = [("01", 83), ("02", 1.5), ("03", .3), ("04", 7)]
ETHNICITY_BME = [("05", .8), ("06", .6), ("07", 1), ("08", .6), ("09", 7), ("10", 4), ("11", 1.5),
                 ("12", .6), ("13", 2), ("14", 5), ("15", 1.2), ("16", .5), ("17", .5), ("18", 1)]
ETHNICITY_NOT_STATED = [("19", 4), (None, 2)]
ORIENTATION = [("1", 90), ("2", 2), ("3", 2), ("4", .5), ("5", 5), (None, .5)]
RELIGION = [("1", 30), ("2", 44), ("3", .5), ("4", 3), ("5", .5), ("6", 7), ("7", 1), ("8", 2), ("9", 11), (None, 1)]
DISABILITY = [("1", 15), ("2", 80), ("3", 5)]
STAFF_GROUP = [("1", 15), ("2", 10), ("3", 7), ("4", 4), ("5", 8), ("6", 5), ("7", 45), ("8", 4), ("9", 2)]


@dataclass
class Hierarchy:
    """Organisations as parallel lists: code, name, level, parent_code (None for an ICS)."""
    codes: list[str]
    names: list[str]
    levels: list[str]
    parents: list[str | None]
    practices: list[str]
    practice_size: np.ndarray        # responses per practice
    practice_bme_share: np.ndarray   # local share of BME staff


def build_hierarchy(rng: np.random.Generator, n_ics=42, n_pcn=1250, n_practice=6500, n_responses=700_000,
                    places_per_ics=(2, 4)) -> Hierarchy:
    codes, names, levels, parents = [], [], [], []

    def add(code, name, level, parent):
        codes.append(code); names.append(name); levels.append(level); parents.append(parent)

    places: list[str] = []
    for i in range(n_ics):
        ics = f"ICS{i + 1:03d}"
        add(ics, f"Integrated care system {i + 1}", "ics", None)
        for j in range(int(rng.integers(places_per_ics[0], places_per_ics[1] + 1))):
            place = f"{ics}P{j + 1}"
            add(place, f"Place {j + 1} of ICS {i + 1}", "place", ics)
            places.append(place)
    pcn_place = rng.integers(0, len(places), n_pcn)
    pcn_place[: len(places)] = np.arange(min(len(places), n_pcn))   # every place has a PCN
    pcns = []
    for k in range(n_pcn):
        code = f"PCN{k + 1:05d}"
        add(code, f"Primary care network {k + 1}", "pcn", places[pcn_place[k]])
        pcns.append(code)
    prac_pcn = rng.integers(0, n_pcn, n_practice)
    prac_pcn[: min(n_pcn, n_practice)] = np.arange(min(n_pcn, n_practice))   # no empty PCN
    practices = []
    for k in range(n_practice):
        code = f"P{k + 1:05d}"
        add(code, f"Practice {k + 1}", "practice", pcns[prac_pcn[k]])
        practices.append(code)
    # Practice sizes: lognormal around the mean, at least 3 answers.
    raw = rng.lognormal(mean=0.0, sigma=0.6, size=n_practice)
    size = np.maximum(3, np.round(raw / raw.sum() * n_responses)).astype(np.int64)
    diff = n_responses - int(size.sum())
    order = np.argsort(-size)
    i = 0
    while diff != 0:
        step = 1 if diff > 0 else -1
        if size[order[i % n_practice]] + step >= 3:
            size[order[i % n_practice]] += step
            diff -= step
        i += 1
    # Ethnic mix varies by ICS (a few urban ICSs have far more BME staff).
    ics_of_place = {p: p.split("P")[0] for p in places}
    ics_share = {f"ICS{i + 1:03d}": float(rng.choice([0.08, 0.12, 0.18, 0.45], p=[.35, .3, .25, .1])) for i in range(n_ics)}
    bme = np.array([ics_share[ics_of_place[places[pcn_place[prac_pcn[k]]]]] for k in range(n_practice)])
    bme = np.clip(bme * rng.lognormal(0, 0.35, n_practice), 0.01, 0.9)
    return Hierarchy(codes, names, levels, parents, practices, size, bme)


def _draw(rng, table, n):
    values = np.array([c if c is not None else "" for c, _ in table], dtype=object)
    weights = np.array([w for _, w in table], dtype=float)
    out = values[rng.choice(len(table), size=n, p=weights / weights.sum())]
    out[out == ""] = None
    return out


def _freq(rng, p_any, n):
    """1 Never, or 2..5 with decreasing frequency when any."""
    any_ = rng.random(n) < p_any
    k = rng.choice([2, 3, 4, 5], size=n, p=[.6, .22, .1, .08])
    return np.where(any_, k, 1)


def _missing(rng, values, n, rate=0.03):
    out = values.astype(object)
    out[rng.random(n) < rate] = None
    return out


def responses(rng: np.random.Generator, hierarchy: Hierarchy) -> dict[str, np.ndarray]:
    """Columns of the responses, one entry per respondent, with `practice` (its code)."""
    size = hierarchy.practice_size
    n = int(size.sum())
    prac_idx = np.repeat(np.arange(len(size)), size)
    cols: dict[str, np.ndarray] = {"practice": np.array(hierarchy.practices, dtype=object)[prac_idx]}
    # Ethnicity: White / BME / Not stated, with the practice's local BME share.
    u = rng.random(n)
    share = hierarchy.practice_bme_share[prac_idx]
    not_stated = u < 0.06
    is_bme = (~not_stated) & (rng.random(n) < share)
    eth = _draw(rng, ETHNICITY_WHITE, n)
    eth[is_bme] = _draw(rng, ETHNICITY_BME, int(is_bme.sum()))
    eth[not_stated] = _draw(rng, ETHNICITY_NOT_STATED, int(not_stated.sum()))
    cols["ethnicity"] = eth
    cols["sex"] = _draw(rng, SEX, n)
    cols["gender_identity"] = _draw(rng, GENDER_IDENTITY, n)
    cols["age_band"] = _draw(rng, AGE, n)
    cols["sexual_orientation"] = _draw(rng, ORIENTATION, n)
    religion = _draw(rng, RELIGION, n)
    muslim = is_bme & (rng.random(n) < 0.25)
    religion[muslim] = "6"
    cols["religion"] = religion
    dis = _draw(rng, DISABILITY, n)
    cols["disability"] = dis
    disabled = dis == "1"
    ra = _draw(rng, [("2", 5), ("3", 90), ("4", 5)], n)
    ra_dis = _draw(rng, [("1", 55), ("2", 30), ("3", 10), ("4", 5)], int(disabled.sum()))
    ra[disabled] = ra_dis
    cols["reasonable_adjustments"] = ra
    cols["staff_group"] = _draw(rng, STAFF_GROUP, n)

    b, d = is_bme.astype(float), disabled.astype(float)
    cols["q14a"] = _missing(rng, _freq(rng, 0.26 + 0.05 * b + 0.07 * d, n), n)
    cols["q14b"] = _missing(rng, _freq(rng, 0.09 + 0.04 * b + 0.06 * d, n), n)
    cols["q14c"] = _missing(rng, _freq(rng, 0.14 + 0.06 * b + 0.07 * d, n), n)
    any_hba = np.isin(cols["q14a"], [2, 3, 4, 5]) | np.isin(cols["q14b"], [2, 3, 4, 5]) | np.isin(cols["q14c"], [2, 3, 4, 5])
    q14d = rng.choice([1, 2, 3, 4], size=n, p=[.42, .08, .43, .07]).astype(object)
    q14d[~any_hba] = 9
    cols["q14d"] = _missing(rng, q14d, n)
    q15 = np.where(rng.random(n) < 0.78, np.where(rng.random(n) < 0.76 - 0.16 * b - 0.1 * d, 1, 2), 9)
    cols["q15"] = _missing(rng, q15, n)
    cols["q16a"] = _missing(rng, np.where(rng.random(n) < 0.07 + 0.13 * b + 0.03 * d, 1, 2), n)
    cols["q16b"] = _missing(rng, np.where(rng.random(n) < 0.06 + 0.10 * b + 0.06 * d, 1, 2), n)
    cols["q17a"] = _missing(rng, _freq(rng, 0.08 + 0.02 * b, n), n)
    cols["q17b"] = _missing(rng, _freq(rng, 0.04 + 0.01 * b, n), n)
    cols["q13a"] = _missing(rng, _freq(rng, 0.05, n), n)
    cols["q13b"] = _missing(rng, _freq(rng, 0.01, n), n)
    cols["q13c"] = _missing(rng, _freq(rng, 0.015, n), n)
    q11d = np.where(rng.random(n) < 0.55 + 0.1 * d, 1, 2)
    cols["q11d"] = _missing(rng, q11d, n)
    q11e = np.where(rng.random(n) < 0.22 + 0.04 * b + 0.08 * d, 1, 2).astype(object)
    q11e[q11d != 1] = None
    cols["q11e"] = _missing(rng, q11e, n, 0.02)
    cols["q4b"] = _missing(rng, rng.choice([1, 2, 3, 4, 5], size=n, p=[.08, .15, .25, .37, .15]), n)
    cols["q25e"] = _missing(rng, rng.choice([1, 2, 3, 4, 5], size=n, p=[.06, .12, .2, .42, .2]), n)
    cols["q25f"] = _missing(rng, rng.choice([1, 2, 3, 4, 5], size=n, p=[.07, .14, .25, .38, .16]), n)
    multi = np.array([None, "1", "1;6", "2", "6", "1;2", "5", "7"], dtype=object)
    q16c = multi[rng.integers(1, len(multi), n)]
    q16c[~((cols["q16a"] == 1) | (cols["q16b"] == 1))] = None
    cols["q16c"] = q16c
    return cols


RESPONSE_COLUMNS = ("id", "wave_id", "org_id", "submitted_on", "extra_json") + BANK[:13] + ("q16c",) + BANK[13:] + DEMOGRAPHICS


def response_rows(cols: dict[str, np.ndarray], wave_id: int, org_ids: dict[str, int], day: dt.date,
                  rng: np.random.Generator) -> list[tuple]:
    """Tuples in RESPONSE_COLUMNS order, in random order (as anonymous storage would hold them)."""
    n = len(cols["practice"])
    org = [org_ids[c] for c in cols["practice"]]
    def plain(col):
        return [None if v is None else int(v) for v in cols[col]]
    series = {c: plain(c) for c in BANK}
    series.update({c: list(cols[c]) for c in DEMOGRAPHICS})
    series["q16c"] = list(cols["q16c"])
    ids = [uuid.UUID(int=int(a) << 64 | int(b)).hex for a, b in zip(rng.integers(0, 2**63, n), rng.integers(0, 2**63, n))]
    rows = list(zip(ids, [wave_id] * n, org, [day] * n, [None] * n,
                    *[series[c] for c in RESPONSE_COLUMNS[5:]]))
    return rows
