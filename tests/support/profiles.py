"""Profile counts from respondent-level rows, as survey.releases.aggregate makes them in SQL:
for tests and benches that build releases without a database."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.analysis.dimensions import DEMOGRAPHIC_COLUMNS


def profiles(rows: list[dict], indicators) -> pd.DataFrame:
    """Profile counts from respondent-level dicts (tests only; the app aggregates in SQL)."""
    df = pd.DataFrame(rows)
    for c in DEMOGRAPHIC_COLUMNS:
        if c not in df:
            df[c] = None
    for q in ("q4b", "q11d", "q11e", "q13a", "q14a", "q14b", "q14c", "q14d", "q15", "q16a",
              "q16b", "q17a", "q17b"):
        if q not in df:
            df[q] = np.nan
    for iid, ind in indicators.items():
        df[f"{iid}__base"] = ind.base.evaluate(df).astype(np.int64)
        df[f"{iid}__num"] = ind.numerator.evaluate(df).astype(np.int64)
    df["n"] = 1
    key = ["org_code", *DEMOGRAPHIC_COLUMNS]
    sums = [c for c in df.columns if c.endswith("__base") or c.endswith("__num")] + ["n"]
    filled = df[key].astype(object).where(df[key].notna(), "~")
    out = pd.concat([filled, df[sums]], axis=1).groupby(key, sort=True)[sums].sum().reset_index()
    for c in DEMOGRAPHIC_COLUMNS:
        out[c] = out[c].where(out[c] != "~", None)
    return out
