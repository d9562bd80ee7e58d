"""The shape of a release as one table of cells with additive relations.

Nodes are the organisations (the leaves that hold responses, all their ancestors) plus the
whole wave ("ALL", the root). Columns are, per canonical indicator, the organisation total
(the `all` dimension's single group "All", shared by every characteristic) followed by every
group of every other characteristic. Cell id = node * n_cols + column.

Relations (total = sum of parts), for bases and counts alike:
- group: at every organisation, for every indicator and characteristic, All = sum of groups;
- hierarchy: at every organisation with children, every column = sum over the children;
- nesting: characteristics over one answer column (the two ethnicity tables) describe the
  same people, so a group of the coarser is the sum of the finer groups inside it (White
  is White; BME is Mixed + Asian + Black + Other). `Family` holds them, per indicator.
survey.disclosure.grid walks them level by level; survey.disclosure.lpcheck writes one
indicator's out as member rows for its LPs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

LEVEL_ORDER = ("wave", "ics", "place", "pcn", "practice")
LEVEL_RANK = {"practice": 0, "pcn": 1, "place": 2, "ics": 3, "wave": 4}
WAVE_CODE = "ALL"


@dataclass
class Tree:
    codes: np.ndarray      # object
    names: np.ndarray
    levels: np.ndarray
    parent: np.ndarray     # int, -1 for the root
    is_leaf: np.ndarray    # holds responses (a row of cells)

    @property
    def n(self) -> int:
        return len(self.codes)


def org_tree(orgs: pd.DataFrame, leaf_codes, wave_name: str = "All organisations") -> Tree:
    missing_cols = {"code", "name", "level", "parent_code"} - set(orgs.columns)
    if missing_cols:
        raise ValueError(f"orgs: missing columns {sorted(missing_cols)}")
    info = {}
    for code, name, level, parent in orgs[["code", "name", "level", "parent_code"]].itertuples(index=False):
        level = getattr(level, "value", level)
        if level not in LEVEL_RANK or level == "wave":
            raise ValueError(f"orgs: organisation {code!r} has level {level!r}; expected practice, pcn, place or ics")
        parent = None if parent is None or (isinstance(parent, float) and np.isnan(parent)) else str(parent)
        info[str(code)] = (str(name), level, parent)
    leaves = [str(c) for c in leaf_codes]
    needed, stack = set(), list(leaves)
    for c in leaves:
        if c not in info:
            raise ValueError(f"cells: organisation {c!r} is not in orgs")
    while stack:
        c = stack.pop()
        if c in needed:
            continue
        needed.add(c)
        p = info[c][2]
        if p is not None and p in info:
            stack.append(p)
    order = sorted(needed, key=lambda c: (LEVEL_ORDER.index(info[c][1]), c))
    codes = [WAVE_CODE] + order
    pos = {c: i for i, c in enumerate(codes)}
    parent = np.array([-1] + [pos.get(info[c][2], 0) if info[c][2] else 0 for c in order], dtype=np.int64)
    is_leaf = np.zeros(len(codes), bool)
    is_leaf[[pos[c] for c in leaves]] = True
    has_child = np.zeros(len(codes), bool)
    has_child[parent[parent >= 0]] = True
    both = np.flatnonzero(is_leaf & has_child)
    if len(both):
        raise ValueError(f"cells: organisation {codes[both[0]]!r} has responses of its own and also "
                         f"organisations below it that have responses; record responses at one level")
    return Tree(np.array(codes, dtype=object),
                np.array([wave_name] + [info[c][0] for c in order], dtype=object),
                np.array(["wave"] + [info[c][1] for c in order], dtype=object), parent, is_leaf)


def rollup_matrix(tree: Tree) -> tuple[sparse.csr_matrix, np.ndarray]:
    """S (nodes x leaves), S[a, l] = 1 when a is l or an ancestor of l; and the leaf nodes."""
    leaves = np.flatnonzero(tree.is_leaf)
    rows, cols = [], []
    for j, leaf in enumerate(leaves):
        a = leaf
        while a >= 0:
            rows.append(a); cols.append(j)
            a = tree.parent[a]
    S = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(tree.n, len(leaves)))
    return S, leaves


@dataclass(frozen=True)
class Family:
    """Characteristics over one answer column (survey.analysis.dimensions.nesting), in one
    indicator's local columns: `fine` the finest characteristic's groups; per coarser
    characteristic (`dims[1:]`, layout positions), `up[i][j]` the column of the group
    holding fine group j. Every organisation's cell of a coarser group is the sum of its
    fine groups' cells."""
    dims: tuple                    # layout dimension positions, finest first
    fine: np.ndarray               # local columns of the finest characteristic's groups
    up: tuple                      # per coarser dimension: local column holding each fine group

    def members(self) -> np.ndarray:
        """Every local column of the family's characteristics."""
        return np.unique(np.concatenate([self.fine, *self.up]))

    def sums(self):
        """(coarse column, fine columns inside it), per group of every coarser characteristic."""
        for up in self.up:
            for c in np.unique(up):
                yield int(c), self.fine[up == c]


@dataclass
class Layout:
    indicators: list[str]          # canonical ids, in order
    dims: list[str]                # every dimension id (first is "all")
    col_ind: np.ndarray            # per column: indicator position
    col_dim: np.ndarray            # per column: dimension position
    col_group: np.ndarray          # per column: group label (object)
    per_ind: int                   # columns per indicator
    families: tuple = ()           # Family per answer column grouped by several characteristics

    @property
    def n_cols(self) -> int:
        return len(self.col_ind)
