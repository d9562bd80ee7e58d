"""build_release: every table of a wave, rolled up and disclosure-controlled jointly.

All tables of a release (every indicator, characteristic and organisation level) are one
grid of cells and relations (survey.disclosure.grid) protected together by
survey.disclosure.suppress, so a cell suppressed anywhere is suppressed everywhere, and every
suppressed number is proven (by an explicit move, or by linear programming) to keep an
interval the attacker cannot narrow below the protection level; a table holding a number
that could not be proven is left out of the release. Indicators with the
same definition (`same_as`, or identical numerator and base) are one set of cells, released
under each id with the same pattern.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.disclosure.engine import AuditReport
from survey.disclosure.grid import make_grid
from survey.analysis.output import gap_frame, pattern_frame, table_frame
from survey.analysis.layout import make_layout
from survey.disclosure.structure import LEVEL_RANK, org_tree, rollup_matrix
from survey.disclosure.suppress import protect_grid

TABLE_COLUMNS = ["indicator", "org_level", "org_code", "org_name", "dimension", "group", "base",
                 "count", "percent", "ci_low", "ci_high", "status"]
GAP_COLUMNS = ["indicator", "org_level", "org_code", "dimension", "group_a", "group_b",
               "gap_pp", "gap_low", "gap_high"]
PATTERN_COLUMNS = ["indicator", "org_code", "dimension", "group", "status"]
LEVELS = ("practice", "pcn", "place", "ics", "wave")


class DisclosureError(RuntimeError):
    """The audit could not protect every suppressed cell: the release must not be published."""


@dataclass(frozen=True)
class ReleaseParams:
    """min_cell: a group's base under this is suppressed (never below 5). count_k: when > 0,
    counts and complements (base - count) in 1..k are suppressed too. protection: the width
    every suppressed base and count must keep (capped by the published totals above it)."""
    min_cell: int = 11
    count_k: int = 0
    protection: float = 2.0

    def __post_init__(self):
        if int(self.min_cell) < 5:
            raise ValueError(f"min_cell is {self.min_cell}; the minimum group size may not be below 5.")
        if int(self.count_k) < 0:
            raise ValueError(f"count_k is {self.count_k}; use 0 to turn the count rule off, or a positive k.")
        if float(self.protection) < 0:
            raise ValueError(f"protection is {self.protection}; it must be zero or more.")


@dataclass
class Release:
    table: pd.DataFrame
    gaps: pd.DataFrame
    pattern: pd.DataFrame
    audit: AuditReport
    params: ReleaseParams = field(default_factory=ReleaseParams)
    timings: dict = field(default_factory=dict)


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniq = pd.factorize(series.astype(object) if not isinstance(series.dtype, pd.CategoricalDtype) else series)
    return codes, np.asarray(uniq, dtype=object)


def build_release(cells: pd.DataFrame, orgs: pd.DataFrame, params: ReleaseParams = ReleaseParams(),
                  previous: pd.DataFrame | None = None, indicators=None, dimensions=None,
                  answers: pd.Series | None = None) -> Release:
    """Roll up, protect and format a wave's release.

    cells: finest_cells() output, at leaf organisations. orgs: DataFrame[code, name, level,
    parent_code] holding at least the leaves and their ancestors. previous: an earlier
    release's `pattern` for the same wave; every cell suppressed there stays suppressed.
    answers: respondents per leaf organisation code (what the response rates publish); the
    protection then knows what an outsider does (survey.disclosure.respondents.labels).
    Indicators with no answers at all in the wave (their questions were not asked) are left
    out. A table with a suppressed cell the audit cannot protect is left out too (`_withhold`,
    listed in `audit.withheld`); raises DisclosureError if that leaves nothing to publish."""
    import time
    from survey.analysis.dimensions import load_dimensions
    from survey.analysis.indicators import canonical_indicator, load_indicators

    t0 = time.perf_counter()
    dimensions = dimensions or load_dimensions()
    indicators = indicators or load_indicators(dimensions=dimensions)
    canon = canonical_indicator(indicators)
    if not isinstance(params, ReleaseParams):
        raise TypeError("params must be a ReleaseParams")

    ind_codes, ind_uniq = _codes(cells["indicator"])
    present = [i for i in indicators if i in set(ind_uniq)]
    unknown = sorted(set(ind_uniq) - set(indicators))
    if unknown:
        raise ValueError(f"cells: unknown indicators {unknown}")
    # one representative (the first present id) per canonical definition
    rep: dict[str, str] = {}
    for i in present:
        rep.setdefault(canon[i], i)
    canon_ids = list(rep)                        # canonical ids with data
    layout = make_layout(canon_ids, dimensions)
    C = layout.n_cols

    org_codes, org_uniq = _codes(cells["org_code"])
    tree = org_tree(orgs, org_uniq)
    S, leaves = rollup_matrix(tree)
    leaf_pos = {c: j for j, c in enumerate(tree.codes[leaves])}
    row = np.array([leaf_pos[str(c)] for c in org_uniq], dtype=np.int64)[org_codes]

    dim_codes, dim_uniq = _codes(cells["dimension"])
    grp_codes, grp_uniq = _codes(cells["group"])
    col_lut = np.full((len(ind_uniq), len(dim_uniq), len(grp_uniq)), -1, dtype=np.int64)
    key = {(layout.indicators[k], layout.dims[d], g): c for c, (k, d, g) in
           enumerate(zip(layout.col_ind, layout.col_dim, layout.col_group))}
    for a, iid in enumerate(ind_uniq):
        if rep.get(canon[iid]) != iid:
            continue                             # an alias: released from its canonical cells
        for b, did in enumerate(dim_uniq):
            for c, g in enumerate(grp_uniq):
                col_lut[a, b, c] = key.get((canon[iid], did, g), -1)
    col = col_lut[ind_codes, dim_codes, grp_codes]
    use = col >= 0
    leaf_b = np.zeros((len(leaves), C)); leaf_c = np.zeros((len(leaves), C))
    leaf_b[row[use], col[use]] = cells["base"].to_numpy()[use]
    leaf_c[row[use], col[use]] = cells["count"].to_numpy()[use]
    base = np.asarray(S @ leaf_b); count = np.asarray(S @ leaf_c)
    del leaf_b, leaf_c                           # (national: 34 MB each)

    # drop indicators nobody answered in this wave
    answered = base[0, np.arange(len(canon_ids)) * layout.per_ind] > 0
    if not answered.all():
        keep_ids = [c for c, a in zip(canon_ids, answered) if a]
        keep_cols = np.flatnonzero(answered[layout.col_ind])
        base, count = base[:, keep_cols], count[:, keep_cols]
        canon_ids = keep_ids
        layout = make_layout(canon_ids, dimensions)
        C = layout.n_cols
    t_roll = time.perf_counter()

    primary = base < params.min_cell
    if params.count_k > 0:
        k = params.count_k
        comp = base - count
        primary |= ((count >= 1) & (count <= k)) | ((comp >= 1) & (comp <= k))
    is_all = np.zeros((tree.n, C), bool)
    is_all[:, layout.col_dim == 0] = True
    level_rank = np.array([LEVEL_RANK[l] for l in tree.levels])[:, None]
    cost = np.where(base > 0, base, 1e6) + 1000.0 * level_rank + np.where(is_all, 1e9, 0.0)
    fixed = _empty_by_definition(layout, indicators, dimensions)[None, :] & (base == 0)
    prev = _previous_mask(previous, tree, layout, canon, indicators).reshape(tree.n, C) if previous is not None else None
    grid = make_grid(tree, layout)
    node_answers = None
    if answers is not None:
        per_leaf = answers.groupby(answers.index.astype(str)).sum()
        leaf_n = per_leaf.reindex(tree.codes[leaves].astype(str)).fillna(0).to_numpy(np.float64)
        node_answers = np.asarray(S @ leaf_n).ravel()
    t_setup = time.perf_counter()
    status, audit = protect_grid(grid, base, count, primary, cost, previous=prev, fixed=fixed, min_cell=params.min_cell,
                                 count_rule=params.count_k > 0, protection=float(params.protection),
                                 answers=node_answers)
    t_prot = time.perf_counter()
    del cost, primary, fixed, prev, grid         # protection's inputs, not the output's
    withheld = _withhold(layout, audit, present, canon)
    if withheld.all():
        raise DisclosureError(f"the audit left {audit.unprotected} suppressed cells unprotected "
                              f"(first: {audit.failures[0]}); nothing may be released")
    out_ids = [i for i in present if canon[i] in set(canon_ids)
               and not withheld[layout.col_ind == layout.indicators.index(canon[i])].all()]
    table = table_frame(tree, layout, base, count, status, out_ids, canon, dimensions, withheld)
    gaps = gap_frame(tree, layout, base, count, status, out_ids, canon, indicators, dimensions, withheld)
    pattern = pattern_frame(table)
    t_out = time.perf_counter()
    timings = {"rollup_s": t_roll - t0, "setup_s": t_setup - t_roll, "protect_s": t_prot - t_setup,
               "output_s": t_out - t_prot, "cells": int(base.size)}
    return Release(table, gaps, pattern, audit, params, timings)


def _withhold(layout, audit: AuditReport, present, canon) -> np.ndarray:
    """Columns left out of the release because the audit could not prove one of their cells
    safe: the characteristic's table of that indicator (every organisation), or the whole
    indicator for a total. Publishing less than was checked is safe: every proof of a
    published cell holds against an attacker who knows more. Records what was left out
    in `audit.withheld` and clears its failures (nothing published is unproven)."""
    out = np.zeros(layout.n_cols, bool)
    if not audit.failures:
        return out
    tables: dict = {}
    for f in audit.failures:
        c = int(f["column"])
        k, d = int(layout.col_ind[c]), int(layout.col_dim[c])
        tables[(k, d)] = tables.get((k, d), 0) + 1
    for (k, d), n in sorted(tables.items()):
        sel = layout.col_ind == k
        if d != 0:
            sel = sel & (layout.col_dim == d)
        out |= sel
    whole = {k for (k, d) in tables if d == 0}
    for (k, d), n in sorted(tables.items()):
        if d != 0 and k in whole:
            continue
        cid = layout.indicators[k]
        audit.withheld.append({"indicators": [i for i in present if canon[i] == cid],
                               "dimension": layout.dims[d], "cells": n})
    if not out.all():
        audit.failures = []
    return out


def _empty_by_definition(layout, indicators, dimensions) -> np.ndarray:
    """Per column: the group is empty by its indicator's definition (WDES 8 asks Disabled
    staff only), which every reader of the definitions knows."""
    from survey.analysis.indicators import empty_by_definition
    out = np.zeros(layout.n_cols, bool)
    for c, (k, d, g) in enumerate(zip(layout.col_ind, layout.col_dim, layout.col_group)):
        out[c] = g in empty_by_definition(indicators[layout.indicators[k]], dimensions[layout.dims[d]])
    return out


def _previous_mask(previous: pd.DataFrame, tree, layout, canon, indicators) -> np.ndarray:
    """Cells (node * n_cols + column) suppressed in an earlier release of the wave. Each of
    the pattern's columns is looked up once per distinct value (a national pattern has four
    million rows and a few hundred distinct (indicator, characteristic, group))."""
    mask = np.zeros(tree.n * layout.n_cols, bool)
    if previous is None or len(previous) == 0:
        return mask
    node_of = {c: i for i, c in enumerate(tree.codes)}
    col_of = {(layout.indicators[k], layout.dims[d], g): c for c, (k, d, g) in
              enumerate(zip(layout.col_ind, layout.col_dim, layout.col_group))}
    org_inv, org_uniq = pd.factorize(previous["org_code"])
    node = np.array([node_of.get(str(o), -1) for o in org_uniq] + [-1], dtype=np.int64)[org_inv]
    key = np.zeros(len(previous), dtype=np.int64)
    factors = []                                  # per column: (codes, distinct values)
    for name in ("indicator", "dimension", "group"):
        codes, values = pd.factorize(previous[name])
        key = key * (len(values) + 1) + (codes + 1)
        factors.append((codes, values))
    combos, first, combo_of_row = np.unique(key, return_index=True, return_inverse=True)
    col_lut = np.empty(len(combos), dtype=np.int64)
    for j, row in enumerate(first):
        ind, dim, grp = (str(values[codes[row]]) if codes[row] >= 0 else "" for codes, values in factors)
        col_lut[j] = col_of.get((canon.get(ind, ind), dim, grp), -1)
    col = col_lut[combo_of_row.reshape(-1)]
    ok = (col >= 0) & (node >= 0)
    mask[node[ok] * layout.n_cols + col[ok]] = True
    return mask
