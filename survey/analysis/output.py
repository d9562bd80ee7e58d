"""Formatting a protected release: the tidy table, the gaps and the suppression pattern.
Suppressed cells carry their status and nothing else (base..ci_high missing)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.disclosure.status import OK, WORDS, published
from survey.analysis.stats import newcombe, wilson

LEVEL_CATS = ["practice", "pcn", "place", "ics", "wave"]


def table_frame(tree, layout, base, count, status, out_ids, canon, dimensions, withheld=None) -> pd.DataFrame:
    """One row per (indicator id, organisation, column), less the columns `withheld`; rows
    indicator by indicator, then organisation, then column. Built one indicator at a time
    into preallocated columns: a national release has five million rows, and whole-table
    temporaries (the intervals' especially) were most of the release's peak memory."""
    per = layout.per_ind
    n = tree.n
    kpos = [layout.indicators.index(canon[i]) for i in out_ids]
    blocks = []                                   # per indicator: its kept columns
    for k in kpos:
        cols = k * per + np.arange(per)
        blocks.append(cols if withheld is None else cols[~withheld[cols]])
    total = sum(n * len(c) for c in blocks)
    level_idx = np.array([LEVEL_CATS.index(l) for l in tree.levels], dtype=np.int8)
    name_codes, name_cats = pd.factorize(np.asarray(tree.names, dtype=object))
    group_codes, group_cats = pd.factorize(np.asarray(layout.col_group, dtype=object))
    out = {
        "indicator": np.empty(total, np.int16), "org_level": np.empty(total, np.int8),
        "org_code": np.empty(total, np.int32), "org_name": np.empty(total, np.int32),
        "dimension": np.empty(total, np.int16), "group": np.empty(total, np.int32),
        "base": np.empty(total, np.int64), "count": np.empty(total, np.int64), "hidden": np.empty(total, bool),
        "percent": np.empty(total), "ci_low": np.empty(total), "ci_high": np.empty(total),
        "status": np.empty(total, np.int8),
    }
    at = 0
    for i, cols in enumerate(blocks):
        size = n * len(cols)
        rows = slice(at, at + size)
        at += size
        node = np.repeat(np.arange(n, dtype=np.int32), len(cols))
        col = np.tile(cols, n)
        b = base[:, cols].ravel()
        c = count[:, cols].ravel()
        st = status[:, cols].ravel()
        st = published(st)
        sup = st != OK
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.round(100.0 * c / b, 2)
        lo, hi = wilson(c, b)
        out["indicator"][rows] = i
        out["org_level"][rows] = level_idx[node]
        out["org_code"][rows] = node
        out["org_name"][rows] = name_codes[node]
        out["dimension"][rows] = layout.col_dim[col]
        out["group"][rows] = group_codes[col]
        out["base"][rows] = np.where(sup, 0, b)
        out["count"][rows] = np.where(sup, 0, c)
        out["hidden"][rows] = sup
        out["percent"][rows] = np.where(sup, np.nan, pct)
        out["ci_low"][rows] = np.where(sup, np.nan, np.round(lo, 2))
        out["ci_high"][rows] = np.where(sup, np.nan, np.round(hi, 2))
        out["status"][rows] = st
    hidden = out.pop("hidden")
    return pd.DataFrame({
        "indicator": pd.Categorical.from_codes(out["indicator"], categories=list(out_ids)),
        "org_level": pd.Categorical.from_codes(out["org_level"], categories=LEVEL_CATS),
        "org_code": pd.Categorical.from_codes(out["org_code"], categories=pd.Index(tree.codes, dtype=object)),
        "org_name": pd.Categorical.from_codes(out["org_name"], categories=pd.Index(name_cats, dtype=object)),
        "dimension": pd.Categorical.from_codes(out["dimension"], categories=layout.dims),
        "group": pd.Categorical.from_codes(out["group"], categories=pd.Index(group_cats, dtype=object)),
        "base": pd.arrays.IntegerArray(out["base"], hidden),
        "count": pd.arrays.IntegerArray(out["count"], hidden.copy()),
        "percent": out["percent"], "ci_low": out["ci_low"], "ci_high": out["ci_high"],
        "status": pd.Categorical.from_codes(out["status"], categories=list(WORDS)),
    })


def gap_frame(tree, layout, base, count, status, out_ids, canon, indicators, dimensions, withheld=None) -> pd.DataFrame:
    frames = []
    level_idx = np.array([LEVEL_CATS.index(l) for l in tree.levels])
    nodes = np.arange(tree.n)
    for iid in out_ids:
        k = layout.indicators.index(canon[iid])
        for dim, ga, gb in indicators[iid].comparisons:
            if dim not in layout.dims:          # a release of some characteristics only
                continue
            d = layout.dims.index(dim)
            sel = (layout.col_ind == k) & (layout.col_dim == d)
            ca = np.flatnonzero(sel & (layout.col_group == ga))[0]
            cb = np.flatnonzero(sel & (layout.col_group == gb))[0]
            if withheld is not None and (withheld[ca] or withheld[cb]):
                continue
            sup = (status[:, ca] != OK) | (status[:, cb] != OK)
            gap, lo, hi = newcombe(count[:, ca], base[:, ca], count[:, cb], base[:, cb])
            frames.append(pd.DataFrame({
                "indicator": iid, "org_level": np.array(LEVEL_CATS, dtype=object)[level_idx],
                "org_code": tree.codes, "dimension": dim, "group_a": ga, "group_b": gb,
                "gap_pp": np.where(sup, np.nan, np.round(gap, 2)),
                "gap_low": np.where(sup, np.nan, np.round(lo, 2)),
                "gap_high": np.where(sup, np.nan, np.round(hi, 2)),
            }, index=nodes))
    cols = ["indicator", "org_level", "org_code", "dimension", "group_a", "group_b", "gap_pp", "gap_low", "gap_high"]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def pattern_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The suppressed cells (every indicator id, aliases included), plain strings."""
    sup = table["status"].to_numpy() != "ok"
    out = table.loc[sup, ["indicator", "org_code", "dimension", "group", "status"]]
    return out.astype(object).reset_index(drop=True)
