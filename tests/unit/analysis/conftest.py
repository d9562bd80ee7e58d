"""Small hand-built inputs for the analysis tests (no app, no database)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.analysis import load_dimensions, load_indicators


@pytest.fixture(scope="session")
def indicators():
    return load_indicators()


@pytest.fixture(scope="session")
def dimensions():
    return load_dimensions()


@pytest.fixture(scope="session")
def small_dims(dimensions):
    return {k: dimensions[k] for k in ("all", "ethnicity_group", "disability")}


def orgs_frame(n_pcn=2, per_pcn=3) -> pd.DataFrame:
    rows = [("I1", "ICS one", "ics", None), ("L1", "Place one", "place", "I1")]
    for n in range(n_pcn):
        rows.append((f"N{n}", f"PCN {n}", "pcn", "L1"))
        for p in range(per_pcn):
            rows.append((f"P{n}{p}", f"Practice {n}{p}", "practice", f"N{n}"))
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])


def respondents(org_sizes: dict, seed=0, bme_share=0.3, disabled_share=0.2, plant=None) -> list[dict]:
    """Random respondents per organisation; `plant` adds rare respondents (list of dicts)."""
    rng = np.random.default_rng(seed)
    rows = []
    for org, n in org_sizes.items():
        for _ in range(n):
            eth = rng.choice(["01", "09", "14", None], p=[1 - bme_share - 0.05, bme_share / 2, bme_share / 2, 0.05])
            rows.append({
                "org_code": org, "ethnicity": eth,
                "disability": rng.choice(["1", "2", "3"], p=[disabled_share, 0.95 - disabled_share, 0.05]),
                "q14a": int(rng.choice([1, 2, 3])), "q15": int(rng.choice([1, 2, 9])),
            })
    for extra in plant or []:
        rows.append(dict(extra))
    return rows


@pytest.fixture(scope="session")
def planted():
    """The seeded ICS with planted rare respondents (tests.support.planted), released:
    (release, finest cells, organisations, profiles)."""
    from tests.support import planted as seeded
    orgs = seeded.orgs(seeded.PCNS)
    rows = seeded.people(orgs, seeded.SIZES, seed=7, plant=seeded.PLANT)
    release, cells, prof = seeded.release_of(rows, orgs)
    return release, cells, orgs, prof
