"""The attacker's knowledge, what it must not learn, and the moves of organisation totals.

The attacker holds every published base and count, every relation (survey.analysis.grid),
the bounds 0 <= count <= base, and the status words: "primary" means a base under N (when
the count rule is off) and "secondary" a base of at least N (`Bounds`). Each cell is split
into its count y and its complement z = base - count; both are non-negative and obey the
same relations. A move of one layer (the other held fixed) may raise a cell by
`up` = upper - base and lower it by `dn` = min(layer, base - lower) (`rooms`).

`requirements` says how wide each suppressed base, count and complement must stay.

Totals (M2). A respondent moves from one leaf organisation to a sibling leaf: both totals
change, and in every characteristic one group (the same at both) changes with them. `_m2`
finds, for all leaf totals at once, whether such a move of step a (one way) exists; it is
a move of the whole release, so what it proves holds against everything published. The
moves of groups are found on networks (survey.analysis.flows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.analysis.engine import OK, PRIMARY, SECONDARY
from survey.analysis.grid import Grid

BIG = np.int64(1) << np.int64(40)   # "no upper bound" for a secondary cell's base


@dataclass
class Bounds:
    """What the status words tell the attacker about a suppressed base."""
    min_cell: int
    count_rule: bool     # the count rule is on: "primary" no longer means base < N

    def lower(self, status):
        return np.where(status == SECONDARY, self.min_cell, 0)

    def upper(self, status):
        if self.count_rule:
            return np.full(status.shape, BIG, dtype=np.int64)
        return np.where(status == PRIMARY, self.min_cell - 1, BIG)


def rooms(x: np.ndarray, v: np.ndarray, status: np.ndarray, bounds: Bounds):
    """How far each suppressed cell may go up and down when layer v (and with it the base)
    moves: up = upper - x, down = min(v, x - lower). Published cells get -1 (they never move)."""
    sup = status != OK
    up = np.where(sup, bounds.upper(status) - x, -1)
    dn = np.where(sup, np.minimum(v, x - bounds.lower(status)), -1)
    return up.astype(np.int64), dn.astype(np.int64)


def _sibling_leaf_pairs(grid: Grid):
    """Ordered pairs (u, v), u != v, of leaves with the same parent."""
    us, vs = [], []
    leaf = grid.tree.is_leaf
    for lev in grid.levels:
        ch = lev.children[leaf[lev.children]]
        if len(ch) < 2:
            continue
        par = grid.tree.parent[ch]
        _, starts, sizes = np.unique(par, return_index=True, return_counts=True)
        if (sizes < 2).all():
            continue
        seg_start = np.repeat(starts, sizes)
        seg_size = np.repeat(sizes, sizes)
        a = np.repeat(np.arange(len(ch)), seg_size)
        offs = np.arange(len(a)) - np.repeat(np.cumsum(seg_size) - seg_size, seg_size)
        b = np.repeat(seg_start, seg_size) + offs
        keep = a != b
        us.append(ch[a[keep]]); vs.append(ch[b[keep]])
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(us), np.concatenate(vs)


def _m2(grid: Grid, sup, up, dn, a: int, b: int, pairs):
    """Leaf totals on an M2 move whose step may reach +a and -b: (plus, minus) masks."""
    out_plus = np.zeros(sup.shape, bool)
    out_minus = np.zeros(sup.shape, bool)
    out = (out_plus, out_minus)
    u, v = pairs
    if len(u) == 0:
        return out
    ac = grid.all_cols
    both = sup[u[:, None], ac[None, :]] & sup[v[:, None], ac[None, :]]
    keep = both.any(1)
    u, v = u[keep], v[keep]
    if len(u) == 0:
        return out
    uu, vv = u[:, None], v[:, None]
    ok = (sup[uu, ac] & (up[uu, ac] >= a) & (dn[uu, ac] >= b)
          & sup[vv, ac] & (dn[vv, ac] >= a) & (up[vv, ac] >= b))      # (pairs, n_ind)
    for cols in grid.dim_cols:
        if not ok.any():
            break
        uc, vc = u[:, None, None], v[:, None, None]
        pg = sup[uc, cols] & (up[uc, cols] >= a) & (dn[uc, cols] >= b)
        mg = sup[vc, cols] & (dn[vc, cols] >= a) & (up[vc, cols] >= b)
        ok &= (pg & mg).any(-1)
    r, k = np.nonzero(ok)
    out_plus[u[r], ac[k]] = True
    out_minus[v[r], ac[k]] = True
    return out


def max_values(grid: Grid, v, fixed, least: np.ndarray) -> np.ndarray:
    """Per cell, the largest value (of base, count or complement v) it can take whatever else
    is suppressed: only published organisation totals (`fixed`) and the status bounds are
    beyond the suppression's reach. Top down, a cell is at most its parent's largest value
    minus what its siblings hold at least, and a group at most its organisation's largest
    total minus what the other groups hold at least (`least`: N for a secondary
    suppression). No part can exceed this, so no interval can be wider."""
    lay = grid.layout
    parent = grid.tree.parent
    per = lay.per_ind
    mv = np.where(fixed, v.astype(np.float64), np.inf)
    least = np.where(fixed, v, least).astype(np.float64)

    def rows(nodes):
        for cols in grid.dim_cols:
            for k in range(cols.shape[0]):
                cc = cols[k]
                lc = least[np.ix_(nodes, cc)]
                others = lc.sum(1, keepdims=True) - lc
                mv[np.ix_(nodes, cc)] = np.minimum(mv[np.ix_(nodes, cc)], mv[nodes, k * per][:, None] - others)

    rows(np.flatnonzero(parent < 0))
    for lev in grid.levels:
        ch = lev.children
        seg = np.add.reduceat(least[ch], lev.starts, axis=0)
        mv[ch] = np.minimum(mv[ch], mv[lev.parents][lev.slot] - (seg[lev.slot] - least[ch]))
        rows(ch)
    return mv


@dataclass
class Requirements:
    """Widths each cell must keep: x, y, z for the cells as they are (0 where published);
    x_if, y_if, z_if what a published cell would need once chosen as a secondary
    suppression (for the cells a repair adds)."""
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    x_if: np.ndarray
    y_if: np.ndarray
    z_if: np.ndarray


def requirements(grid: Grid, x, y, status, protection: int, min_cell: int = 11) -> Requirements:
    """Width each suppressed base, count and complement must keep. A primary cell with
    respondents (sensitive): the protection level. A secondary cell, or a primary cell with
    none: 1 (never pinned). A count and a complement need no more than the group's size (the
    interval 0..base is complete uncertainty); an empty cell's say nothing more; a group empty
    in the whole wave has nothing to protect. Each capped by the largest value the cell can
    take given the published organisation totals (`max_values`), which are never chosen as
    secondary suppressions: nothing wider is possible. The cap counts no lower bound that a
    secondary suppression's status word gives away: those are the engine's choice, and a
    cell they pin must be shielded otherwise."""
    sup = status != OK
    z = x - y
    level = np.where((status == PRIMARY) & (x > 0), protection, 1)
    # a group with nobody in it anywhere in the wave (for WDES 8, "Non-disabled" by its
    # definition) has nothing to protect: that it is empty tells nothing about anyone
    root = np.flatnonzero(grid.tree.parent < 0)
    level = np.where((x[root] > 0).any(0)[None, :], level, 0)
    fixed = np.zeros(x.shape, bool)
    fixed[:, grid.all_cols] = ~sup[:, grid.all_cols]
    zero = np.zeros(x.shape)
    rx = np.minimum(level, np.maximum(max_values(grid, x, fixed, zero), 0))
    # a count (or complement) is fully uncertain once it could be anything from 0 to the
    # group's size: no need to ask for more than the base itself
    lv = np.minimum(level, x)
    ry = np.where(x > 0, np.minimum(lv, np.maximum(max_values(grid, y, fixed, zero), 0)), 0)
    rz = np.where(x > 0, np.minimum(lv, np.maximum(max_values(grid, z, fixed, zero), 0)), 0)
    rx, ry, rz = (a.astype(np.int64) for a in (rx, ry, rz))
    return Requirements(np.where(sup, rx, 0), np.where(sup, ry, 0), np.where(sup, rz, 0), rx, ry, rz)
