"""protect_counts: disclosure control for a two-way count table with an all-rows total.

For returns such as the Freedom to Speak Up quarterly figures: rows are organisations
plus one total row (all organisations), columns are categories that need NOT add up to
anything (a case can carry several elements). Each column is one relation:
total row = sum of the organisation rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.disclosure.engine import protect
from survey.disclosure.relations import Relations
from survey.disclosure.status import STATUS_NAMES


def protect_counts(df: pd.DataFrame, min_count: int, *, total_row: str = "ALL",
                   protection: float = 1.0, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Status ("ok", "primary", "secondary") for every cell of a count table.

    df: index = row labels (organisation codes) including `total_row`, whose values are the
    column sums of all the other rows; columns = categories; values = non-negative integer
    counts. min_count: a count in 1..min_count-1 is suppressed (0 is not: nobody to
    identify); then secondary suppression (the total row is chosen only when a column has
    no other candidate) and the exact audit, so no suppressed count can be worked out from
    the published ones and each primary count keeps an interval at least `protection` wide.
    previous: an earlier status frame (same labels) whose suppressions are kept.
    Use: `status = protect_counts(df, 5); published = df.mask(status != "ok")`.
    Raises ValueError on a malformed table, RuntimeError if the audit fails."""
    if total_row not in df.index:
        raise ValueError(f"protect_counts: the table has no total row {total_row!r}")
    if int(min_count) < 1:
        raise ValueError("protect_counts: min_count must be at least 1")
    vals = df.to_numpy(dtype=np.float64)
    if np.isnan(vals).any() or (vals < 0).any() or (vals != np.round(vals)).any():
        raise ValueError("protect_counts: counts must be non-negative integers")
    n_rows, n_cols = vals.shape
    t = df.index.get_loc(total_row)
    others = [i for i in range(n_rows) if i != t]
    if not np.allclose(vals[others].sum(axis=0), vals[t]):
        raise ValueError(f"protect_counts: row {total_row!r} is not the sum of the other rows")
    cell = lambda r, c: r * n_cols + c   # noqa: E731
    rel = Relations.from_lists([(cell(t, c), [cell(r, c) for r in others]) for c in range(n_cols)])
    flat = vals.ravel()
    primary = (flat > 0) & (flat < int(min_count))
    reluctant = np.zeros(flat.size, bool)
    reluctant[[cell(t, c) for c in range(n_cols)]] = True
    prev = None
    if previous is not None:
        prev = (previous.reindex(index=df.index, columns=df.columns).fillna("ok").to_numpy() != "ok").ravel()
    prot = protect(flat, rel, primary, reluctant=reluctant, previous=prev, protection=protection)
    if prot.audit.failures:
        raise RuntimeError(f"protect_counts: the audit left cells unprotected: {prot.audit.failures[:3]}")
    return pd.DataFrame(STATUS_NAMES[prot.status].reshape(n_rows, n_cols), index=df.index, columns=df.columns)
