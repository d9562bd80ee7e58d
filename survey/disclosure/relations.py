"""Additive relations between the cells of a table (total = sum of parts), the model the
generic engine (survey.disclosure.engine) and its exact audit (survey.disclosure.exact) share."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Relations:
    """Additive relations as member rows: relation id, cell index, coef (+1 total, -1 part)."""
    rel: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    n_rel: int

    def __post_init__(self):
        self.rel = np.asarray(self.rel, dtype=np.int64)
        self.cell = np.asarray(self.cell, dtype=np.int64)
        self.coef = np.asarray(self.coef, dtype=np.int8)

    @classmethod
    def from_lists(cls, pairs) -> "Relations":
        """pairs: iterable of (total_cell, [part_cells]); total_cell may be None (sum is 0)."""
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

    @classmethod
    def concat(cls, parts: list["Relations"]) -> "Relations":
        offs = np.cumsum([0] + [p.n_rel for p in parts])
        return cls(np.concatenate([p.rel + o for p, o in zip(parts, offs)]),
                   np.concatenate([p.cell for p in parts]),
                   np.concatenate([p.coef for p in parts]), int(offs[-1]))

    def check(self, values, n_cells: int, name: str = "values") -> None:
        """Raise ValueError if a relation does not hold exactly for `values`."""
        if len(self.cell) and (self.cell.min() < 0 or self.cell.max() >= n_cells):
            raise ValueError("relations refer to a cell outside the table")
        res = np.bincount(self.rel, weights=self.coef * np.asarray(values, float)[self.cell], minlength=self.n_rel)
        bad = np.flatnonzero(np.abs(res) > 1e-6)
        if len(bad):
            raise ValueError(f"{name}: {len(bad)} relations do not add up (first: relation {bad[0]}, off by {res[bad[0]]:g})")


def relation_counts(rel: Relations, sup: np.ndarray) -> np.ndarray:
    """Number of suppressed members per relation."""
    return np.bincount(rel.rel, weights=sup[rel.cell].astype(np.float64), minlength=rel.n_rel).astype(np.int64)
