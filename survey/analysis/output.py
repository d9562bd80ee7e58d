"""Formatting a protected release: the tidy table, the gaps and the suppression pattern.
Suppressed cells carry their status and nothing else (base..ci_high missing)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.analysis.engine import FIXED, OK, PRIMARY
from survey.analysis.stats import newcombe, wilson

STATUS = ["ok", "primary", "secondary"]
LEVEL_CATS = ["practice", "pcn", "place", "ics", "wave"]


def _cat(values_idx: np.ndarray, labels) -> pd.Categorical:
    labels = np.asarray(labels, dtype=object)
    codes, uniq = pd.factorize(labels)
    return pd.Categorical.from_codes(codes[values_idx], categories=pd.Index(uniq, dtype=object))


def table_frame(tree, layout, base, count, status, out_ids, canon, dimensions, withheld=None) -> pd.DataFrame:
    """One row per (indicator id, organisation, column), less the columns `withheld`."""
    per = layout.per_ind
    n = tree.n
    node = np.tile(np.repeat(np.arange(n), per), len(out_ids))
    local = np.tile(np.arange(per), n * len(out_ids))
    ind = np.repeat(np.arange(len(out_ids)), n * per)
    kpos = np.array([layout.indicators.index(canon[i]) for i in out_ids], dtype=np.int64)
    col = kpos[ind] * per + local
    b = base[node, col]
    c = count[node, col]
    st = status[node, col]
    st = np.where(st == FIXED, PRIMARY, st)     # empty by definition: its base, 0, is under N
    sup = st != OK
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.round(100.0 * c / b, 2)
    lo, hi = wilson(c, b)
    level_idx = np.array([LEVEL_CATS.index(l) for l in tree.levels])
    frame = pd.DataFrame({
        "indicator": pd.Categorical.from_codes(ind, categories=list(out_ids)),
        "org_level": pd.Categorical.from_codes(level_idx[node], categories=LEVEL_CATS),
        "org_code": pd.Categorical.from_codes(node, categories=pd.Index(tree.codes, dtype=object)),
        "org_name": _cat(node, tree.names),
        "dimension": pd.Categorical.from_codes(layout.col_dim[col], categories=layout.dims),
        "group": _cat(col, layout.col_group),
        "base": pd.arrays.IntegerArray(np.where(sup, 0, b).astype(np.int64), sup),
        "count": pd.arrays.IntegerArray(np.where(sup, 0, c).astype(np.int64), sup),
        "percent": np.where(sup, np.nan, pct),
        "ci_low": np.where(sup, np.nan, np.round(lo, 2)),
        "ci_high": np.where(sup, np.nan, np.round(hi, 2)),
        "status": pd.Categorical.from_codes(st.astype(np.int64), categories=STATUS),
    })
    if withheld is not None and withheld.any():
        frame = frame[~withheld[col]].reset_index(drop=True)
    return frame


def gap_frame(tree, layout, base, count, status, out_ids, canon, indicators, dimensions, withheld=None) -> pd.DataFrame:
    frames = []
    level_idx = np.array([LEVEL_CATS.index(l) for l in tree.levels])
    nodes = np.arange(tree.n)
    for iid in out_ids:
        k = layout.indicators.index(canon[iid])
        for dim, ga, gb in indicators[iid].comparisons:
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
