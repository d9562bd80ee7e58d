"""The attacker's knowledge, what it must not learn, and the moves of organisation totals.

The attacker holds every published base and count, every relation (survey.disclosure.grid),
the bounds 0 <= count <= base, and the status words: "primary" means a base under N (when
the count rule is off) and "secondary" a base of at least N (`Bounds`); the definitions tell
it which cells are empty by definition (status FIXED, held at 0). Each cell is split
into its count y and its complement z = base - count; both are non-negative and obey the
same relations. A move of one layer (the other held fixed) may raise a cell by
`up` = upper - base and lower it by `dn` = min(layer, base - lower) (`rooms`).

`requirements` says how wide each suppressed base, count and complement must stay.

Totals (M2). A respondent moves from one leaf organisation to a sibling leaf: both totals
change, and in every characteristic one group (the same at both) changes with them. `_m2`
finds, for all leaf totals (and groups) at once, whether such a move of step a (one way)
exists; it is a move of the whole release, so what it proves holds against everything
published. The other moves of groups are found on networks (survey.disclosure.flows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.disclosure import nesting
from survey.disclosure.status import FIXED, OK, PRIMARY, SECONDARY
from survey.disclosure.grid import Grid

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
            return np.where(status == FIXED, 0, BIG).astype(np.int64)
        return np.where(status == PRIMARY, self.min_cell - 1, np.where(status == FIXED, 0, BIG))


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


def _m2(grid: Grid, sup, up, dn, a: int, b: int, pairs, groups: bool = False):
    """Leaf cells on an M2 move whose step may reach +a and -b: (plus, minus) masks. The
    totals always; with `groups`, the groups too: the group a moved respondent belongs to
    in one characteristic is on the move when the totals can move and every other
    characteristic has a group that can move with them."""
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
    uc, vc = u[:, None, None], v[:, None, None]
    common = []                       # per characteristic: (pairs, n_ind, groups) movable at both
    nested = bool(grid.layout.families)
    for cols in grid.dim_cols:
        if not ok.any():
            break
        pg = sup[uc, cols] & (up[uc, cols] >= a) & (dn[uc, cols] >= b)
        mg = sup[vc, cols] & (dn[vc, cols] >= a) & (up[vc, cols] >= b)
        common.append(pg & mg)
        if not groups and not nested:
            ok &= common[-1].any(-1)
    if nested and len(common) == len(grid.dim_cols):
        nesting.consistent(grid, common)  # the same respondent in every table of one column
        if not groups:
            for c in common:
                ok &= c.any(-1)
    elif nested and not groups:
        ok[:] = False
    if groups and len(common) == len(grid.dim_cols):
        some = np.stack([c.any(-1) for c in common])                    # (dims, pairs, n_ind)
        missing = (~some).sum(0)
        for d, cols in enumerate(grid.dim_cols):
            r, k, j = np.nonzero((ok & (missing - ~some[d] == 0))[:, :, None] & common[d])
            out_plus[u[r], cols[k, j]] = True
            out_minus[v[r], cols[k, j]] = True
        ok &= missing == 0
    elif groups:
        ok[:] = False
    r, k = np.nonzero(ok)
    out_plus[u[r], ac[k]] = True
    out_minus[v[r], ac[k]] = True
    return out


def m2_widths(grid: Grid, x, y, status, bounds: Bounds, p: int, pairs, groups: bool = False,
              memo: dict | None = None):
    """How far M2 moves of up to p respondents raise and lower each suppressed leaf total
    (and, with `groups`, group): ((base up, down), (count up, down), (complement up,
    down)), int8 arrays of nodes x columns. A base moves with its count or its complement.

    A leaf's widths depend only on its own row and its siblings' (x and y fixed): `memo`, a
    dict the caller keeps for one x, y, bounds, p and pairs, holds the last status and
    widths, and a later call works out again only the sibling groups in which a row
    changed (the national escalation's rounds change a few hundred of 6,500 practices)."""
    last = memo.get(groups) if memo is not None else None
    if last is None:
        out = _widths(grid, x, y, status, bounds, p, pairs, groups)
    else:
        old_status, out = last
        changed = np.flatnonzero((status != old_status).any(1))
        u, v = pairs
        parent = grid.tree.parent
        hit = np.isin(parent[u], parent[changed]) if len(changed) else np.zeros(len(u), bool)
        if hit.any():
            rows = np.unique(np.r_[u[hit], v[hit]])
            local = (np.searchsorted(rows, u[hit]), np.searchsorted(rows, v[hit]))
            part = _widths(grid, x[rows], y[rows], status[rows], bounds, p, local, groups)
            out = tuple(tuple(a.copy() for a in pair) for pair in out)
            for pair, new in zip(out, part):
                for a, b in zip(pair, new):
                    a[rows] = b
    if memo is not None:
        memo[groups] = (status.copy(), out)
    return out


def _widths(grid: Grid, x, y, status, bounds: Bounds, p: int, pairs, groups: bool):
    """m2_widths over the rows given (pairs index them)."""
    sup = status != OK
    res = []
    for v in (y, x - y):
        up, dn = rooms(x, v, status, bounds)
        rise = np.zeros(status.shape, np.int8)
        fall = np.zeros(status.shape, np.int8)
        for a in range(1, p + 1):
            plus, minus = _m2(grid, sup, up, dn, a, 0, pairs, groups)
            rise = np.where(plus, np.int8(a), rise)
            fall = np.where(minus, np.int8(a), fall)
        res.append((rise, fall))
    (yu, yd), (zu, zd) = res
    return (np.maximum(yu, zu), np.maximum(yd, zd)), (yu, yd), (zu, zd)


def _others(a: np.ndarray, starts: np.ndarray | None = None, slot: np.ndarray | None = None) -> np.ndarray:
    """Per entry, the sum of the other entries of its row (along the last axis), or with
    `starts` and `slot` (a level's segments, survey.disclosure.grid) of the other rows of its
    segment; infinite where any of those is. (In place where it can: at a national practice level each
    temporary is 34 MB, and these were the release's peak memory.)"""
    inf = np.isinf(a)
    finite = np.where(inf, 0.0, a)
    if starts is None:
        total = finite.sum(-1, keepdims=True) - finite
        n_inf = inf.sum(-1, keepdims=True, dtype=np.int32) - inf
    else:
        total = np.add.reduceat(finite, starts, axis=0)[slot]
        total -= finite
        n_inf = np.add.reduceat(inf, starts, axis=0, dtype=np.int32)[slot]
        n_inf -= inf
    del finite
    total[n_inf > 0] = np.inf
    return total


def value_ranges(grid: Grid, v, fixed, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, an interval (low, high) holding the value of v (base, count or complement)
    in every world an attacker could not rule out knowing only the published organisation
    totals (`fixed`) and each cell's public bounds lo..hi, whatever else is published. Top
    down: a cell lies within its parent's interval less what its siblings hold at most and
    at least; a group within its organisation's total less the other groups. The true
    range is inside it, so no suppression can make a cell's interval wider."""
    totals = grid.all_cols                     # each indicator's total column
    low = np.where(fixed, v, lo).astype(np.float64, copy=False)
    high = np.where(fixed, v, hi).astype(np.float64, copy=False)

    def rows(nodes):
        # every indicator's table of a characteristic at once (nodes, indicators, groups),
        # on a view of the nodes' rows where they are a block (each level is), else a copy
        first, n = int(nodes.min()), len(nodes)
        block = int(nodes.max()) - first + 1 == n
        at = slice(first, first + n) if block else nodes
        lo_n, hi_n = low[at], high[at]
        lo_tot, hi_tot = lo_n[:, totals, None], hi_n[:, totals, None]
        for cols in grid.dim_cols:
            gl, gh = lo_n[:, cols], hi_n[:, cols]
            hi_n[:, cols] = np.minimum(gh, hi_tot - _others(gl))
            lo_n[:, cols] = np.maximum(gl, lo_tot - _others(gh))
        if not block:
            low[at], high[at] = lo_n, hi_n

    rows(np.flatnonzero(grid.tree.parent < 0))
    for lev in grid.levels:
        ch = lev.children
        lo_ch, hi_ch = low[ch], high[ch]
        cap = high[lev.parents][lev.slot]
        cap -= _others(lo_ch, lev.starts, lev.slot)
        np.minimum(hi_ch, cap, out=hi_ch)
        floor = low[lev.parents][lev.slot]
        floor -= _others(high[ch], lev.starts, lev.slot)
        np.maximum(lo_ch, floor, out=lo_ch)
        del cap, floor
        high[ch], low[ch] = hi_ch, lo_ch
        rows(ch)
    return low, high


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


def requirements(grid: Grid, x, y, status, protection: int, min_cell: int = 11,
                 count_rule: bool = False, memo: dict | None = None) -> Requirements:
    """Width each suppressed base, count and complement must keep. A primary cell with
    respondents (sensitive): the protection level. A secondary cell, or a primary cell with
    none: 1 (never pinned). A count and a complement need no more than the group's size (the
    interval 0..base is complete uncertainty); an empty cell's say nothing more; a group empty
    in the whole wave has nothing to protect.

    Each is capped by the widest interval the cell could have whatever the engine chose:
    the published organisation totals are never chosen as secondary suppressions, and every
    cell's size class is public whatever is suppressed (a base under N is "primary"; one of
    at least N is either published or "secondary", so at least N either way). Within that
    knowledge a cell lies within `value_ranges`. A row published as All = 11 with one group
    of 11 has zeros everywhere else that no suppression could shield; so do two practices
    under N whose PCN and published siblings leave them 20 between them. The cap takes the
    bounds from the size classes, never from the engine's choices, so a cell that only the
    engine's own suppressions pin must still be shielded.

    The widths depend on the status only through which cells are primary and which
    organisation totals are published, and each indicator's only through its own columns:
    `memo` (a dict kept by the caller for one x and y) holds the last widths, and a later
    call works out again only the indicators whose published totals changed (a national
    escalation frees totals of one or two indicators of thirteen)."""
    sup = status != OK
    totals = sup[:, grid.all_cols]
    key = (np.isin(status, (PRIMARY, FIXED)).tobytes(), protection, min_cell, count_rule)
    last = memo.get("last") if memo is not None else None
    if last is not None and last[0] == key:
        changed = np.flatnonzero((last[1] != totals).any(0))
        rx, ry, rz = last[2]
        if len(changed):
            sub, cols = grid.only(changed)
            part = _widths_all(sub, x[:, cols], y[:, cols], status[:, cols], protection, min_cell, count_rule)
            rx, ry, rz = (whole.copy() for whole in (rx, ry, rz))
            for whole, new in zip((rx, ry, rz), part):
                whole[:, cols] = new
    else:
        rx, ry, rz = _widths_all(grid, x, y, status, protection, min_cell, count_rule)
    if memo is not None:
        memo["last"] = (key, totals, (rx, ry, rz))     # the status only ever grows: one entry
    return Requirements(np.where(sup, rx, 0), np.where(sup, ry, 0), np.where(sup, rz, 0), rx, ry, rz)


def _widths_all(grid: Grid, x, y, status, protection: int, min_cell: int, count_rule: bool):
    """requirements' widths (rx, ry, rz) of every cell, as if suppressed."""
    sup = status != OK
    # widths are at most the protection level: small integers (a national release holds
    # six of these arrays at a time, and the whole-grid temporaries here were its peak)
    small = np.int16 if protection < np.iinfo(np.int16).max else np.int64
    level = np.where(status == FIXED, 0, np.where((status == PRIMARY) & (x > 0), protection, 1)).astype(small)
    # a group with nobody in it anywhere in the wave (for WDES 8, "Non-disabled" by its
    # definition) has nothing to protect: that it is empty tells nothing about anyone
    root = np.flatnonzero(grid.tree.parent < 0)
    level[:, ~(x[root] > 0).any(0)] = 0
    fixed = np.zeros(x.shape, bool)
    fixed[:, grid.all_cols] = ~sup[:, grid.all_cols]
    # the size class, public whatever is suppressed: a base under N is "primary", one of
    # at least N published or "secondary" (with the count rule on, "primary" says nothing)
    bounds = Bounds(min_cell, count_rule)
    as_if = np.where((status == PRIMARY) | (status == FIXED), status, SECONDARY)
    upper = bounds.upper(as_if)
    ceil = np.where(upper >= BIG, np.inf, np.maximum(upper, x))
    del upper

    def width(v, lo, hi):
        low, high = value_ranges(grid, v, fixed, lo, hi)
        high -= low
        return np.maximum(high, 0, out=high)

    floor = np.minimum(bounds.lower(as_if), x)         # (the minimum only for hand-made grids)
    rx = np.minimum(level, width(x, floor, ceil)).astype(small)
    del floor
    # a count (or complement) is fully uncertain once it could be anything from 0 to the
    # group's size: no need to ask for more than the base itself
    lv = np.minimum(level, x).astype(small)
    del level
    has = x > 0
    ry = np.where(has, np.minimum(lv, width(y, 0.0, ceil)), 0).astype(small)
    rz = np.where(has, np.minimum(lv, width(x - y, 0.0, ceil)), 0).astype(small)
    return rx, ry, rz
