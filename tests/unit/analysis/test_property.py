"""Property tests: random hierarchies and group sizes with planted rare respondents. After
build_release, an independent attacker (its own LP over every published base and count,
with the group and hierarchy relations, and the bounds the status words give away:
"primary" means a base under N, "secondary" at least N) pins no suppressed cell, and no
relation holds exactly one suppressed cell."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings, strategies as st

from survey.analysis import ReleaseParams, build_release, finest_cells
from survey.analysis.release import DisclosureError
from tests.support.intervals import table_intervals as attack
from tests.support.profiles import profiles

MIN_CELL = ReleaseParams().min_cell


@st.composite
def waves(draw, disabled: float = 0.15):
    n_pcn = draw(st.integers(1, 3))
    per = [draw(st.integers(1, 4)) for _ in range(n_pcn)]
    rows, org_rows = [], [("I1", "ICS", "ics", None)]
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    for n, k in enumerate(per):
        org_rows.append((f"N{n}", f"PCN {n}", "pcn", "I1"))
        for p in range(k):
            code = f"P{n}{p}"
            org_rows.append((code, code, "practice", f"N{n}"))
            size = draw(st.integers(0, 30))
            bme = draw(st.floats(0, 0.5))
            for _ in range(size):
                rows.append({"org_code": code,
                             "ethnicity": rng.choice(["01", "12", None], p=[1 - bme - 0.05, bme, 0.05]),
                             "disability": rng.choice(["1", "2", "3"], p=[disabled, 0.95 - disabled, 0.05]),
                             "q14a": int(rng.choice([1, 2, 5])), "q15": int(rng.choice([1, 2, 9])),
                             "reasonable_adjustments": str(rng.choice(["1", "2", "3"]))})
    codes = [r[0] for r in org_rows if r[2] == "practice"]
    for _ in range(draw(st.integers(0, 4))):      # planted rare respondents
        rows.append({"org_code": draw(st.sampled_from(codes)), "ethnicity": "15", "disability": "1",
                     "q14a": 5, "q15": 2})
    if not rows:
        rows.append({"org_code": codes[0], "ethnicity": "01", "disability": "2", "q14a": 1, "q15": 1})
    return rows, pd.DataFrame(org_rows, columns=["code", "name", "level", "parent_code"])


def _world(counts: dict, pcns: dict):
    """A wave from {(practice, ethnicity, disability, q14a, q15[, reasonable_adjustments]):
    respondents} and {pcn: [practices]} under one ICS (for the worlds a random search once
    found)."""
    org_rows = [("I1", "ICS", "ics", None)]
    for n, (pcn, practices) in enumerate(pcns.items()):
        org_rows.append((pcn, f"PCN {n}", "pcn", "I1"))
        org_rows += [(c, c, "practice", pcn) for c in practices]
    rows = [{"org_code": o, "ethnicity": e, "disability": d, "q14a": a, "q15": b,
             **({"reasonable_adjustments": ra[0]} if ra else {})}
            for (o, e, d, a, b, *ra), k in counts.items() for _ in range(k)]
    return rows, pd.DataFrame(org_rows, columns=["code", "name", "level", "parent_code"])


# Two secondary cells of "at least 11" under a published 22: both were 11 (the repairs'
# own suppressions were never checked; survey.disclosure.groups.protect_groups).
TWO_ELEVENS = _world({("P10", "01", "1", 1, 1): 2, ("P10", "01", "1", 1, 2): 1, ("P10", "01", "1", 5, 2): 1,
                      ("P10", "01", "2", 1, 1): 1, ("P10", "01", "2", 1, 2): 1, ("P10", "01", "2", 2, 1): 1,
                      ("P10", "01", "2", 2, 2): 3, ("P10", "01", "2", 2, 9): 1, ("P10", "01", "2", 5, 1): 1,
                      ("P10", "01", "2", 5, 9): 2, ("P10", None, "2", 2, 1): 1, ("P20", "01", "1", 1, 9): 1,
                      ("P20", "01", "1", 2, 9): 1, ("P20", "01", "2", 1, 1): 1, ("P20", "01", "2", 1, 2): 2,
                      ("P20", "01", "2", 1, 9): 1, ("P20", "01", "2", 2, 1): 1, ("P20", "01", "2", 5, 2): 5,
                      ("P20", "01", "2", 5, 9): 1, ("P20", "01", "3", 1, 1): 1},
                     {"N0": ["P00"], "N1": ["P10"], "N2": ["P20"]})
# Two small practices whose PCN and third practice publish the same WRES 7 count: theirs is
# 0 by the published totals alone (the attacker's `totals_only` exemption).
ZERO_BY_TOTALS = _world({("P00", "01", "1", 1, 2): 1, ("P00", "01", "2", 1, 9): 1, ("P00", "01", "2", 5, 2): 1,
                         ("P00", "01", "2", 5, 9): 1, ("P01", "01", "1", 1, 9): 1, ("P01", "01", "1", 2, 2): 1,
                         ("P01", "01", "2", 1, 2): 1, ("P01", "01", "2", 1, 9): 2, ("P01", "01", "2", 2, 1): 1,
                         ("P01", "01", "2", 2, 2): 1, ("P01", "01", "2", 5, 1): 2, ("P01", "01", "2", 5, 2): 3,
                         ("P01", None, "2", 1, 1): 1, ("P01", None, "2", 1, 2): 1, ("P02", "01", "2", 2, 2): 1},
                        {"N0": ["P00", "P01", "P02"]})

# PCN 0's WDES 8 total (5 people) pinned by a reader of the definitions: the engine had
# counted on room in its Non-disabled and Not stated cells, which WDES 8 never asks.
EMPTY_BY_DEFINITION = _world({("P00", "01", "1", 5, 2, "1"): 1, ("P00", "01", "1", 2, 2, "1"): 1,
                              ("P00", "01", "2", 1, 1, "3"): 1, ("P00", "01", "2", 1, 1, "1"): 1,
                              ("P00", "01", "1", 5, 9, "2"): 1, ("P00", "01", "1", 2, 9, "3"): 1,
                              ("P00", "01", "2", 2, 9, "2"): 1, ("P00", "01", "1", 1, 1, "3"): 1,
                              ("P00", "01", "1", 5, 1, "1"): 1, ("P00", "01", "1", 2, 2, "2"): 1,
                              ("P12", "01", "2", 1, 9, "2"): 1, ("P12", "01", "2", 5, 1, "3"): 1,
                              ("P12", "01", "1", 2, 2, "2"): 1, ("P12", "01", "1", 1, 9, "3"): 1,
                              ("P12", "01", "1", 5, 1, "2"): 1, ("P12", "01", "1", 1, 2, "2"): 1,
                              ("P12", "01", "1", 2, 1, "2"): 1, ("P12", "01", "2", 2, 2, "3"): 1,
                              ("P12", "01", "1", 2, 2, "3"): 1, ("P12", "01", "2", 1, 2, "3"): 1,
                              ("P12", "01", "2", 2, 1, "1"): 1, ("P12", "01", "2", 1, 1, "2"): 1,
                              ("P12", "01", "1", 2, 9, "2"): 1, ("P12", "01", "2", 1, 9, "1"): 1,
                              ("P13", "01", "2", 5, 2, "3"): 1, ("P13", "01", "2", 5, 9, "3"): 1,
                              ("P13", "01", "2", 2, 2, "3"): 1, ("P13", "01", "1", 1, 2, "3"): 2,
                              ("P13", "01", "1", 5, 9, "2"): 1, ("P13", "01", "1", 1, 2, "2"): 1,
                              ("P13", "01", "1", 5, 1, "1"): 1, ("P13", "01", "3", 1, 2, "1"): 1,
                              ("P13", "01", "1", 1, 1, "3"): 2, ("P13", "01", "1", 2, 1, "3"): 4,
                              ("P13", "01", "2", 1, 9, "2"): 2, ("P13", "01", "2", 2, 9, "1"): 1,
                              ("P13", "01", "1", 1, 9, "2"): 2, ("P13", "01", "2", 2, 9, "2"): 1,
                              ("P13", "01", "3", 5, 2, "3"): 1, ("P13", "01", "2", 5, 1, "3"): 1,
                              ("P13", "01", "3", 2, 2, "2"): 1, ("P13", "01", "2", 5, 9, "2"): 1,
                              ("P13", "01", "1", 5, 9, "3"): 1, ("P13", "01", "2", 2, 1, "1"): 1,
                              ("P13", "01", "1", 2, 2, "3"): 1, ("P13", "01", "1", 2, 9, "2"): 1,
                              ("P13", "01", "1", 2, 1, "1"): 1, ("P20", "01", "1", 1, 1, "1"): 1,
                              ("P20", "01", "2", 1, 2, "1"): 1, ("P20", "01", "1", 2, 9, "1"): 1,
                              ("P20", "01", "1", 1, 2, "3"): 2, ("P20", "01", "1", 2, 1, "1"): 1,
                              ("P20", "01", "1", 1, 2, "1"): 2, ("P20", "01", "2", 2, 1, "3"): 1,
                              ("P20", "01", "1", 2, 1, "2"): 1, ("P20", "01", "1", 5, 1, "3"): 1,
                              ("P20", "01", "2", 1, 1, "3"): 1, ("P20", "01", "1", 1, 1, "2"): 1,
                              ("P20", "01", "1", 5, 9, "2"): 2, ("P20", "01", "2", 5, 1, "3"): 1,
                              ("P20", "01", "1", 1, 9, "1"): 1, ("P20", "01", "2", 1, 1, "2"): 1,
                              ("P20", "01", "2", 5, 1, "2"): 1, ("P20", None, "1", 2, 2, "1"): 1},
                             {"N0": ["P00"], "N1": ["P10", "P11", "P12", "P13"], "N2": ["P20"]})


# fixed examples in CI (reproducible); PROP_RANDOM=1 PROP_N=300 searches afresh
@settings(max_examples=int(os.environ.get("PROP_N", "30")), deadline=None,
          derandomize=not os.environ.get("PROP_RANDOM"), database=None, suppress_health_check=[HealthCheck.too_slow])
@given(waves())
@example(wave=TWO_ELEVENS)
@example(wave=ZERO_BY_TOTALS)
def test_attacker_pins_no_suppressed_cell(indicators, small_dims, wave):
    rows, orgs = wave
    inds = {k: indicators[k] for k in ("wres5", "wdes4i", "wres7")}
    cells = finest_cells(profiles(rows, inds), inds, small_dims)
    try:
        rel = build_release(cells, orgs, ReleaseParams(), indicators=inds, dimensions=small_dims)
    except DisclosureError:
        # nothing is published at all: safe. Tiny waves (a dozen people in a chain of single
        # organisations) can leave a number no suppression can shield without hiding the
        # wave's own total; the release is then refused, with a message (see the README)
        return
    assert rel.audit.passed
    t = rel.table
    truth = cells.assign(org_code=cells.org_code.astype(str))
    for ind in ("wres5", "wres7"):
        inherent = {k for k, (lo, hi) in attack(t, orgs, small_dims, ind, totals_only=True).items()
                    if hi - lo < 1 - 1e-6}
        for key, (lo, hi) in attack(t, orgs, small_dims, ind).items():
            if key in inherent:
                continue          # pinned by the published totals alone: nothing could shield it
            org, dim, grp, q = key
            if _true_base(truth, orgs, ind, "ALL", dim, grp) == 0:
                continue          # nobody in the group anywhere in the wave: nothing to protect
            if q == "c":
                sel = t[(t.indicator == ind) & (t.org_code == org) & (t.dimension == dim) & (t.group == grp)]
                assert len(sel) == 1
                leaves_base = _true_base(truth, orgs, ind, org, dim, grp)
                if leaves_base == 0:
                    continue          # an empty group's count is 0 whatever: nothing to learn
            assert hi - lo >= 1 - 1e-6, (ind, key, lo, hi)
    # linked tables carry the same pattern
    a = t[t.indicator == "wres5"]["status"].to_numpy()
    b = t[t.indicator == "wdes4i"]["status"].to_numpy()
    assert (a == b).all()
    # no relation (groups within a characteristic) holds exactly one suppressed cell
    for (_, org, dim), grp in t[t.dimension != "all"].groupby(["indicator", "org_code", "dimension"], observed=True):
        total = t[(t.indicator == grp.indicator.iloc[0]) & (t.org_code == org) & (t.dimension == "all")]
        n_hidden = (grp.status != "ok").sum() + (total.status != "ok").sum()
        if n_hidden == 1 and (grp.status != "ok").any():
            hidden = grp[grp.status != "ok"].iloc[0]
            if _true_base(truth, orgs, hidden.indicator, "ALL", dim, hidden.group) == 0:
                continue      # a group empty in the whole wave: nothing to shield
        assert n_hidden != 1


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(wave=waves())
@example(wave=TWO_ELEVENS)
def test_without_room_for_wide_lps_the_release_is_still_safe(indicators, small_dims, wave, monkeypatch):
    """The audit does not attempt LPs wider than MAX_LP_UNKNOWNS: their cells count as
    unproven and the escalation shields them otherwise. With no room at all, every release
    it publishes still passes the attacker."""
    from survey.disclosure import lpaudit
    monkeypatch.setattr(lpaudit, "MAX_LP_UNKNOWNS", 0)
    test_attacker_pins_no_suppressed_cell.hypothesis.inner_test(indicators, small_dims, wave)


@settings(max_examples=int(os.environ.get("PROP_N", "30")), deadline=None,
          derandomize=not os.environ.get("PROP_RANDOM"), database=None, suppress_health_check=[HealthCheck.too_slow])
@given(waves(disabled=0.6))
@example(wave=EMPTY_BY_DEFINITION)
def test_groups_empty_by_definition_give_no_room(indicators, small_dims, wave):
    """WDES 8 asks Disabled staff only, and its definition is published: a reader knows its
    Non-disabled and Not stated cells are 0 everywhere, so its Disabled cell is its total.
    An attacker who uses that pins nothing (the engine must not count on room in them)."""
    from survey.analysis.indicators import empty_by_definition
    rows, orgs = wave
    inds = {k: indicators[k] for k in ("wdes8", "wres5")}
    cells = finest_cells(profiles(rows, inds), inds, small_dims)
    try:
        rel = build_release(cells, orgs, ReleaseParams(), indicators=inds, dimensions=small_dims)
    except DisclosureError:
        return
    t = rel.table
    known = {(d, g) for d, dim in small_dims.items() for g in empty_by_definition(inds["wdes8"], dim)}
    assert known == {("disability", "Non-disabled"), ("disability", "Not stated")}
    truth = cells.assign(org_code=cells.org_code.astype(str))
    inherent = {k for k, (lo, hi) in attack(t, orgs, small_dims, "wdes8", totals_only=True,
                                            known_empty=known).items() if hi - lo < 1 - 1e-6}
    for key, (lo, hi) in attack(t, orgs, small_dims, "wdes8", known_empty=known).items():
        org, dim, grp, q = key
        if key in inherent or _true_base(truth, orgs, "wdes8", "ALL", dim, grp) == 0:
            continue
        if q == "c" and _true_base(truth, orgs, "wdes8", org, dim, grp) == 0:
            continue
        assert hi - lo >= 1 - 1e-6, (key, lo, hi)


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(wave=waves(disabled=0.4))
@example(wave=EMPTY_BY_DEFINITION)
def test_tables_on_threads_give_the_same_release(indicators, small_dims, wave):
    """Large grids certify their tables on threads (groups.PARALLEL_CELLS); the release is
    the same cell for cell as with one thread."""
    from unittest import mock
    from survey.disclosure import groups
    rows, orgs = wave
    inds = {k: indicators[k] for k in ("wdes8", "wres5", "wres7")}
    cells = finest_cells(profiles(rows, inds), inds, small_dims)

    def release(threshold):
        with mock.patch.object(groups, "PARALLEL_CELLS", threshold), \
                mock.patch.object(groups.os, "cpu_count", lambda: 2):
            try:
                return build_release(cells, orgs, ReleaseParams(), indicators=inds, dimensions=small_dims).table
            except DisclosureError as exc:
                return str(exc)
    one, two = release(10**12), release(0)
    if isinstance(one, str):
        assert one == two
    else:
        pd.testing.assert_frame_equal(one, two)


def _true_base(cells, orgs, ind, org, dim, grp):
    parent = dict(zip(orgs.code, orgs.parent_code))

    def below(p):
        a = p
        while a is not None and not (isinstance(a, float) and np.isnan(a)):
            if a == org:
                return True
            a = parent.get(a)
        return org == "ALL"
    sel = cells[(cells.indicator == ind) & (cells.dimension == dim) & (cells.group == grp)]
    return int(sel[sel.org_code.map(below)]["base"].sum())
