"""Finest cells: (leaf organisation x characteristic group x indicator) -> base, count.

Works on profile counts (one row per organisation and demographic profile, with per-indicator
sums), never on response rows. Fully vectorised: one bincount per (dimension, column)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.analysis.dimensions import Dimension
from survey.analysis.indicators import Indicator

CELL_COLUMNS = ["org_code", "dimension", "group", "indicator", "base", "count"]


def group_codes(dim: Dimension, codes: pd.Series) -> np.ndarray:
    """Position of each row's group within dim.groups (vectorised over distinct codes)."""
    if dim.column is None:
        return np.zeros(len(codes), dtype=np.int64)
    pos = {g: i for i, g in enumerate(dim.groups)}
    inv, uniq = pd.factorize(codes.astype(object), use_na_sentinel=True)
    lut = np.array([pos[dim.label(u)] for u in uniq] + [pos[dim.label(None)]], dtype=np.int64)
    return lut[inv]   # inv == -1 (missing) picks the last entry: Not stated


def finest_cells(profile_counts: pd.DataFrame, indicators: dict[str, Indicator],
                 dimensions: dict[str, Dimension]) -> pd.DataFrame:
    """DataFrame[org_code, dimension, group, indicator, base, count], one row for every
    (organisation present in profile_counts, dimension, group, indicator), zeros included.

    profile_counts: one row per (org_code, demographic profile) with the demographic columns
    (string codes or None), `n`, and `<id>__base`, `<id>__num` integer sums per indicator.
    Indicators whose two columns are absent are skipped (the wave's survey lacks them).
    dimension, group and indicator come back as categoricals (compare with plain strings)."""
    ids = [i for i in indicators if f"{i}__base" in profile_counts and f"{i}__num" in profile_counts]
    for i in ids:
        bad = profile_counts[f"{i}__num"].to_numpy() > profile_counts[f"{i}__base"].to_numpy()
        if bad.any():
            raise ValueError(f"profile_counts: {i}__num exceeds {i}__base in {int(bad.sum())} rows")
    org_idx, orgs = pd.factorize(profile_counts["org_code"].astype(object), sort=True)
    n_org, n_ind = len(orgs), len(ids)
    base_m = profile_counts[[f"{i}__base" for i in ids]].to_numpy(dtype=np.int64)
    num_m = profile_counts[[f"{i}__num" for i in ids]].to_numpy(dtype=np.int64)
    all_groups = list(dict.fromkeys(g for d in dimensions.values() for g in d.groups))
    gpos = {g: k for k, g in enumerate(all_groups)}
    frames = []
    for d_k, dim in enumerate(dimensions.values()):
        codes = profile_counts[dim.column] if dim.column else pd.Series(index=profile_counts.index, dtype=object)
        g_idx = group_codes(dim, codes)
        n_g = len(dim.groups)
        flat = org_idx * n_g + g_idx
        size = n_org * n_g
        base = np.empty((size, n_ind), dtype=np.int64)
        cnt = np.empty((size, n_ind), dtype=np.int64)
        for j in range(n_ind):
            base[:, j] = np.bincount(flat, weights=base_m[:, j], minlength=size)
            cnt[:, j] = np.bincount(flat, weights=num_m[:, j], minlength=size)
        # long form: indicator-major within the dimension
        org_col = np.tile(np.repeat(np.arange(n_org), n_g), n_ind)
        grp_col = np.tile(np.array([gpos[g] for g in dim.groups]), n_org * n_ind)
        ind_col = np.repeat(np.arange(n_ind), size)
        frames.append(pd.DataFrame({
            "org": org_col, "dim": np.full(size * n_ind, d_k), "grp": grp_col, "ind": ind_col,
            "base": base.T.reshape(-1), "count": cnt.T.reshape(-1)}))
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"org": [], "dim": [], "grp": [], "ind": [], "base": [], "count": []}, dtype=np.int64)
    return pd.DataFrame({
        "org_code": pd.Categorical.from_codes(raw["org"], categories=pd.Index(orgs, dtype=object)),
        "dimension": pd.Categorical.from_codes(raw["dim"], categories=list(dimensions)),
        "group": pd.Categorical.from_codes(raw["grp"], categories=all_groups),
        "indicator": pd.Categorical.from_codes(raw["ind"], categories=ids),
        "base": raw["base"].to_numpy(dtype=np.int64),
        "count": raw["count"].to_numpy(dtype=np.int64),
    })[CELL_COLUMNS]
