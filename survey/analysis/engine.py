"""Generic disclosure-control engine: non-negative cells linked by additive relations.

Model. Cells 0..n-1 each hold a value (a base) and optionally a second value `counts`
with 0 <= count <= value; both share one suppression pattern. A relation says
total = sum(parts), stored as member rows (relation, cell, coef) with coef +1 for the
total and -1 for each part. An attacker knows every published value and every relation.

protect() applies: primary (given), the cheap secondary pass (no relation may hold exactly
one suppressed cell), then an exact audit per connected block (null-space test and LP
bounds) that adds suppressions until every suppressed value keeps an interval at least
`protection` wide (or as wide as the published totals above it allow).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

OK, PRIMARY, SECONDARY = 0, 1, 2
STATUS_NAMES = np.array(["ok", "primary", "secondary"], dtype=object)


@dataclass
class Relations:
    """Additive relations as member rows: relation id, cell index, coef (+1 total, -1 part)."""
    rel: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    n_rel: int

    @classmethod
    def from_lists(cls, pairs) -> "Relations":
        """pairs: iterable of (total_cell, [part_cells]); total_cell may be None."""
        rel, cell, coef = [], [], []
        n = 0
        for r, (total, parts) in enumerate(pairs):
            if total is not None:
                rel.append(r); cell.append(total); coef.append(1)
            for p in parts:
                rel.append(r); cell.append(p); coef.append(-1)
            n = r + 1
        return cls(np.asarray(rel, dtype=np.int64), np.asarray(cell, dtype=np.int64),
                   np.asarray(coef, dtype=np.int8), n)


@dataclass
class AuditReport:
    cells_checked: int = 0          # suppressed values examined by the exact audit
    suppressed: int = 0
    blocks: int = 0
    largest_block: int = 0
    svd_blocks: int = 0
    lp_solved: int = 0
    rounds: int = 0
    added: int = 0                  # suppressions added by the audit
    capped: int = 0                 # cells whose required width was capped by a published total
    failures: list = field(default_factory=list)   # must be empty for a release

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Protection:
    status: np.ndarray              # OK / PRIMARY / SECONDARY per cell
    audit: AuditReport


def protect(values, relations: Relations, primary, *, counts=None, forbidden=None, cost=None,
            previous=None, protection: float = 2.0) -> Protection:
    raise NotImplementedError


def audit(values, relations: Relations, suppressed, *, counts=None, protection: float = 2.0) -> AuditReport:
    raise NotImplementedError
