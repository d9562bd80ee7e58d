"""build_release on small hand-built waves: shape, thresholds, linked tables, monotone rebuild."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.analysis import (GAP_COLUMNS, TABLE_COLUMNS, ReleaseParams, build_release, finest_cells)
from tests.support.profiles import profiles
from tests.unit.analysis.conftest import orgs_frame, respondents

SIZES = {"P00": 40, "P01": 30, "P02": 25, "P10": 35, "P11": 28, "P12": 8}


@pytest.fixture(scope="module")
def inds(indicators):
    return {k: indicators[k] for k in ("wres5", "wdes4i", "wres7")}


def release_for(rows, inds, dims, previous=None, **params):
    cells = finest_cells(profiles(rows, inds), inds, dims)
    return build_release(cells, orgs_frame(), ReleaseParams(**params), previous=previous,
                         indicators=inds, dimensions=dims)


@pytest.fixture(scope="module")
def rel(inds, small_dims):
    return release_for(respondents(SIZES, seed=1), inds, small_dims)


def test_table_shape_and_columns(rel):
    t = rel.table
    assert list(t.columns) == TABLE_COLUMNS and list(rel.gaps.columns) == GAP_COLUMNS
    assert set(t["org_level"]) == {"practice", "pcn", "place", "ics", "wave"}
    assert set(t.loc[t.org_level == "wave", "org_code"]) == {"ALL"}
    assert set(t["status"]) <= {"ok", "primary", "secondary"}
    # 3 indicators x (6 practices + 2 PCNs + place + ICS + wave) x (1 + 3 + 3) groups
    assert len(t) == 3 * 11 * 7
    assert rel.audit.passed and rel.audit.failures == []


def test_suppressed_cells_carry_no_numbers(rel):
    t = rel.table
    sup = t[t.status != "ok"]
    assert len(sup) > 0
    assert sup[["base", "count", "percent", "ci_low", "ci_high"]].isna().all().all()
    ok = t[t.status == "ok"]
    assert ok[["base", "count", "percent", "ci_low", "ci_high"]].notna().all().all()
    assert (ok["base"] >= 11).all()
    assert np.allclose(ok["percent"], (100 * ok["count"].astype(float) / ok["base"].astype(float)).round(2))


def test_small_practice_total_is_primary_and_totals_are_kept(rel):
    t = rel.table
    tot = t[(t.dimension == "all")]
    small = tot[tot.org_code == "P12"]
    assert (small.status == "primary").all()        # 8 respondents: no result of its own
    assert (tot[tot.org_level.isin(["pcn", "place", "ics", "wave"])].status == "ok").all()


def test_linked_indicators_are_suppressed_identically(rel):
    t = rel.table
    a = t[t.indicator == "wres5"].drop(columns="indicator").reset_index(drop=True)
    b = t[t.indicator == "wdes4i"].drop(columns="indicator").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_gaps_missing_when_either_side_is_suppressed(rel):
    g = rel.gaps
    t = rel.table.set_index(["indicator", "org_code", "dimension", "group"])["status"]
    for r in g.itertuples():
        hidden = t[(r.indicator, r.org_code, r.dimension, r.group_a)] != "ok" or \
            t[(r.indicator, r.org_code, r.dimension, r.group_b)] != "ok"
        assert np.isnan(r.gap_pp) == hidden
        if not hidden:
            assert r.gap_low <= r.gap_pp <= r.gap_high


@pytest.mark.parametrize("n,expect_primary", [(10, True), (11, False), (12, False)])
def test_threshold_at_n_minus_1_n_n_plus_1(inds, small_dims, n, expect_primary):
    """Practice P00 has exactly n Disabled respondents to wres5."""
    rows = []
    for org, size in SIZES.items():
        for k in range(size):
            rows.append({"org_code": org, "ethnicity": "01" if k % 3 else "10", "disability": "2",
                         "q14a": 1 + k % 2, "q15": 1})
    for k in range(n):
        rows.append({"org_code": "P00", "ethnicity": "01", "disability": "1", "q14a": 2, "q15": 1})
    # enough Disabled staff elsewhere that the PCN and wave figures exist
    for org in ("P01", "P02", "P10", "P11"):
        for k in range(12):
            rows.append({"org_code": org, "ethnicity": "01", "disability": "1", "q14a": 1, "q15": 2})
    t = release_for(rows, inds, small_dims).table
    cell = t[(t.indicator == "wres5") & (t.org_code == "P00") & (t.dimension == "disability")
             & (t.group == "Disabled")].iloc[0]
    assert (cell.status == "primary") == expect_primary
    if cell.status == "ok":
        assert cell.base == n


def test_min_cell_below_five_is_refused():
    with pytest.raises(ValueError, match="may not be below 5"):
        ReleaseParams(min_cell=4)
    assert ReleaseParams().min_cell == 11 and ReleaseParams().count_k == 0


def test_count_rule_when_on(inds, small_dims):
    rows = respondents(SIZES, seed=3)
    off = release_for(rows, inds, small_dims).table
    on = release_for(rows, inds, small_dims, count_k=2).table
    published = on[on.status == "ok"]
    c, comp = published["count"].astype(int), (published["base"] - published["count"]).astype(int)
    assert not (((c >= 1) & (c <= 2)) | ((comp >= 1) & (comp <= 2))).any()
    assert (on.status != "ok").sum() >= (off.status != "ok").sum()


def test_monotone_rebuild_after_late_responses(inds, small_dims, rel):
    rows = respondents(SIZES, seed=1)
    late = respondents({"P00": 6, "P12": 5, "P11": 3}, seed=9, bme_share=0.6)
    again = release_for(rows + late, inds, small_dims, previous=rel.pattern)
    key = ["indicator", "org_code", "dimension", "group"]
    before = set(map(tuple, rel.pattern[key].astype(str).to_numpy()))
    after = again.table[again.table.status != "ok"][key].astype(str)
    assert before <= set(map(tuple, after.to_numpy()))
    assert again.audit.passed


def _failing(monkeypatch, pick):
    """Make the audit leave the cells `pick(grid, status)` returns unproven, as a table too
    thin to protect would (survey.disclosure.lpaudit.exact_check)."""
    from survey.disclosure import lpaudit
    real = lpaudit.exact_check

    def exact_check(grid, x, y, status, *args, **kw):
        return real(grid, x, y, status, *args, **kw) | pick(grid, status)
    monkeypatch.setattr(lpaudit, "exact_check", exact_check)


def _cell(grid, status, ind, dim):
    lay = grid.layout
    cols = np.flatnonzero((np.array(lay.indicators)[lay.col_ind] == ind) & (np.array(lay.dims)[lay.col_dim] == dim))
    node, j = np.argwhere(status[:, cols] != 0)[0]
    return {(int(node), int(cols[j]))}


def test_a_table_the_audit_cannot_protect_is_left_out(inds, small_dims, rel, monkeypatch):
    """A group cell left unproven takes its characteristic's table of that indicator (and
    of its linked ids) out of the release; everything else is published as it was proven,
    and the release says what it left out."""
    _failing(monkeypatch, lambda g, s: _cell(g, s, "wres5", "ethnicity_group"))
    out = release_for(respondents(SIZES, seed=1), inds, small_dims)
    t = out.table
    assert out.audit.passed
    assert out.audit.withheld == [{"indicators": ["wres5", "wdes4i"], "dimension": "ethnicity_group", "cells": 1}]
    gone = t["indicator"].isin(["wres5", "wdes4i"]) & (t["dimension"] == "ethnicity_group")
    assert not gone.any()
    assert len(t) == len(rel.table) - 2 * 11 * 3
    # what is published still pins nothing (the tests' own attacker, on the tables left)
    from tests.support.intervals import table_intervals as attack
    dims = {d: small_dims[d] for d in ("all", "disability")}
    orgs = orgs_frame()
    inherent = {k for k, (lo, hi) in attack(t, orgs, dims, "wres5", totals_only=True).items() if hi - lo < 1 - 1e-6}
    pinned = [k for k, (lo, hi) in attack(t, orgs, dims, "wres5").items() if hi - lo < 1 - 1e-6 and k not in inherent]
    assert not pinned, pinned
    assert not ((out.gaps["indicator"].isin(["wres5", "wdes4i"])) & (out.gaps["dimension"] == "ethnicity_group")).any()


def test_an_unprovable_total_takes_its_indicator_out(inds, small_dims, monkeypatch):
    from survey.analysis.release import DisclosureError
    _failing(monkeypatch, lambda g, s: _cell(g, s, "wres7", "all"))
    out = release_for(respondents(SIZES, seed=1), inds, small_dims)
    assert set(out.table["indicator"].astype(str)) == {"wres5", "wdes4i"}
    assert out.audit.withheld == [{"indicators": ["wres7"], "dimension": "all", "cells": 1}]
    # with nothing left to publish, the release is refused
    _failing(monkeypatch, lambda g, s: _cell(g, s, "wres5", "all") | _cell(g, s, "wres7", "all"))
    with pytest.raises(DisclosureError, match="nothing may be released"):
        release_for(respondents(SIZES, seed=1), inds, small_dims)
