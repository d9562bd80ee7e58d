"""protect_counts: disclosure control for a two-way count table with an all-rows total."""
from __future__ import annotations

import pandas as pd


def protect_counts(df: pd.DataFrame, min_count: int, *, total_row: str = "ALL",
                   protection: float = 1.0) -> pd.DataFrame:
    raise NotImplementedError
