"""A release's cells as a grid: organisations (rows) x columns, with the tree made explicit.

Cells are `base[node, col]` and `count[node, col]` (survey.disclosure.structure: per canonical
indicator the organisation total "All" and then every group of every characteristic). The
relations are of two kinds only, which is what lets the disclosure control work on whole
arrays instead of a general system of equations:

- a row relation per (node, indicator, characteristic): All = sum of the groups;
- a column relation per (internal node, column): the node's cell = sum of its children's;
- where two characteristics group the same answer column (`layout.families`), a nesting
  relation per (node, coarser group): the group = the sum of the finer groups inside it.
  The certificates below take each characteristic alone, so they prove nothing about
  those characteristics' cells; survey.disclosure.suppress sends them to the LP, which
  holds the nesting relations too.

`Grid` holds the index arrays both kinds need: per characteristic the columns of its groups
(indicator x group), the All column per indicator, and per tree depth the children sorted
by parent with segment starts (for numpy's `reduceat`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.disclosure.structure import Layout, Tree


@dataclass
class Level:
    """Nodes at one depth (> 0), sorted by parent: children[starts[i]:starts[i+1]] are the
    children of parents[i]; slot[j] is the position in `parents` of children[j]'s parent."""
    children: np.ndarray
    parents: np.ndarray
    starts: np.ndarray
    slot: np.ndarray


@dataclass
class Grid:
    tree: Tree
    layout: Layout
    depth: np.ndarray              # per node; the wave (root) is 0
    levels: list                   # Level per depth 1..max (index d-1)
    all_cols: np.ndarray           # (n_ind,) the All column of each indicator
    dim_cols: list                 # per characteristic (not "all"): (n_ind, m) columns
    dim_ids: list                  # the characteristic ids, same order

    @property
    def n(self) -> int:
        return self.tree.n

    @property
    def max_depth(self) -> int:
        return len(self.levels)

    def only(self, indicators) -> tuple["Grid", np.ndarray]:
        """The grid of some indicators alone (same tree, their columns in order) and the
        columns of this grid it holds: what works indicator by indicator can redo a few."""
        ks = np.asarray(indicators, dtype=np.int64).reshape(-1)
        lay = self.layout
        per = lay.per_ind
        cols = (ks[:, None] * per + np.arange(per)[None, :]).reshape(-1)
        shift = (np.arange(len(ks)) - ks)[:, None] * per
        layout = Layout([lay.indicators[k] for k in ks], lay.dims, np.repeat(np.arange(len(ks)), per),
                        lay.col_dim[cols], lay.col_group[cols], per, lay.families)
        return Grid(self.tree, layout, self.depth, self.levels, np.arange(len(ks)) * per,
                    [dc[ks] + shift for dc in self.dim_cols], self.dim_ids), cols


def make_grid(tree: Tree, layout: Layout) -> Grid:
    parent = tree.parent
    n = tree.n
    depth = np.zeros(n, dtype=np.int64)
    # parents come before children in tree order (levels are sorted top down)
    for v in range(n):
        if parent[v] >= 0:
            depth[v] = depth[parent[v]] + 1
    levels = []
    for d in range(1, int(depth.max(initial=0)) + 1):
        nodes = np.flatnonzero(depth == d)
        nodes = nodes[np.argsort(parent[nodes], kind="stable")]
        par, starts = np.unique(parent[nodes], return_index=True)
        slot = np.repeat(np.arange(len(par)), np.diff(np.r_[starts, len(nodes)]))
        levels.append(Level(nodes, par, starts, slot))
    n_ind = len(layout.indicators)
    per = layout.per_ind
    all_cols = np.arange(n_ind) * per
    dim_cols, dim_ids = [], []
    for d, did in enumerate(layout.dims):
        if d == 0:
            continue
        local = np.flatnonzero((layout.col_ind == 0) & (layout.col_dim == d))
        dim_cols.append(np.arange(n_ind)[:, None] * per + local[None, :])
        dim_ids.append(did)
    return Grid(tree, layout, depth, levels, all_cols, dim_cols, dim_ids)
