"""National benchmark figures shipped with the package (`national_benchmarks.csv`)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from survey.analysis._yaml import HERE, DefinitionError

BENCHMARK_COLUMNS = ["indicator", "group", "percent", "year", "source"]


def load_benchmarks(path: str | Path | None = None) -> pd.DataFrame:
    """DataFrame[indicator, group, percent (float), year (int), source]."""
    path = Path(path) if path else HERE / "national_benchmarks.csv"
    df = pd.read_csv(path, dtype={"indicator": str, "group": str, "source": str})
    if list(df.columns) != BENCHMARK_COLUMNS:
        raise DefinitionError(f"{path.name}: header: expected {','.join(BENCHMARK_COLUMNS)}, got {','.join(df.columns)}")
    df["percent"] = df["percent"].astype(float)
    df["year"] = df["year"].astype(int)
    return df
