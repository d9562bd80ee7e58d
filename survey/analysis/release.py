"""build_release: every table of a wave, rolled up and disclosure-controlled jointly."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from survey.analysis.engine import AuditReport

TABLE_COLUMNS = ["indicator", "org_level", "org_code", "org_name", "dimension", "group", "base",
                 "count", "percent", "ci_low", "ci_high", "status"]
GAP_COLUMNS = ["indicator", "org_level", "org_code", "dimension", "group_a", "group_b",
               "gap_pp", "gap_low", "gap_high"]
PATTERN_COLUMNS = ["indicator", "org_code", "dimension", "group", "status"]
LEVELS = ("practice", "pcn", "place", "ics", "wave")


@dataclass(frozen=True)
class ReleaseParams:
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


def build_release(cells, orgs, params: ReleaseParams = ReleaseParams(), previous=None,
                  indicators=None, dimensions=None) -> Release:
    raise NotImplementedError
