"""Moves of one respondent between sibling leaf organisations along alternating routes:
certificates for leaf cells whose organisation total is suppressed ("coupled" cells).

An M2 move (survey.disclosure.certify) moves a respondent from leaf u to a sibling leaf v:
both totals change, and in every characteristic the same group at both. A route is more
general. In one characteristic, u's total rises by one and v's falls by one; the
characteristic's groups must follow without changing the parent's cells (held at their
true values) or any published cell:

    u +g,  w1 -g,  w1 +h1,  w2 -h1,  ...,  v -h

a path u -> g -> w1 -> h1 -> ... -> h -> v in the bipartite graph of the siblings and the
groups, with an arc row -> group where the cell can rise by one and group -> row where it
can fall by one. Each characteristic's relations involve only the totals and its own
groups, so with the totals fixed the characteristics are independent: a move exists when
every characteristic has such a path.

For each cell to prove, `route_moves` searches breadth first (`_path`): for a rise of
(u, g), every sibling v whose total can fall, with the route of g's characteristic forced
to start with (u, g). A move found is applied to copies of the rooms (`_apply`) and the
search repeated, so two moves prove a rise of two. A fall is the same search with rises
and falls swapped. It runs in three layers (a respondent who gave the answer, one who did
not, and the answer swapped), combined as the networks combine them.

Each path is simple, so it changes every cell it uses by one, within its room, and every
relation of the release still holds (row relations by construction, column relations
because every column's changes cancel among the siblings, so the parent and everything
above keep their values). So the moved release is a world the attacker cannot rule out:
a proof that the cell can rise (or fall) that far. Like every certificate here it uses
only suppressed cells' rooms, so it stands when more is suppressed. What it leaves short
goes to the LP.
"""
from __future__ import annotations

import numba
import numpy as np

from survey.disclosure.certify import BIG, Bounds
from survey.disclosure.status import FIXED, OK, PRIMARY, SECONDARY
from survey.disclosure.grid import Grid


@numba.njit(nogil=True, cache=True)
def _path(rows, cols, up, dn, a, b, g, seen, prev):
    """A route from row a to row b (indices into `rows`) in one characteristic (`cols`, -1
    padded), starting with a rise of (a, g) when g >= 0: filled into prev (per node, rows
    0..s-1 then columns s.., the node it was reached from, -1 for none). True if found."""
    s = len(rows)
    m = len(cols)
    seen[:] = False
    prev[:] = -1
    queue = np.empty(s + m, np.int64)
    head = 0
    tail = 0
    seen[a] = True
    if g >= 0:
        if cols[g] < 0 or up[rows[a], cols[g]] < 1:
            return False
        seen[s + g] = True
        prev[s + g] = a
        queue[tail] = s + g
        tail += 1
    else:
        queue[tail] = a
        tail += 1
    while head < tail:
        node = queue[head]
        head += 1
        if node < s:                         # a row: its cells that can rise
            for h in range(m):
                if cols[h] >= 0 and not seen[s + h] and up[rows[node], cols[h]] >= 1:
                    seen[s + h] = True
                    prev[s + h] = node
                    queue[tail] = s + h
                    tail += 1
        else:                                # a column: the rows whose cell can fall
            c = cols[node - s]
            for j in range(s):
                if not seen[j] and dn[rows[j], c] >= 1:
                    seen[j] = True
                    prev[j] = node
                    if j == b:
                        return True
                    queue[tail] = j
                    tail += 1
    return False


@numba.njit(nogil=True, cache=True)
def _apply(rows, cols, up, dn, b, prev, s):
    """Moves one unit along the route ending at row b: rises and falls update the rooms."""
    node = b
    while prev[node] >= 0:
        p = prev[node]
        if node < s:                          # column p -> row node: (node, p) falls
            c = cols[p - s]
            up[rows[node], c] += 1
            dn[rows[node], c] -= 1
        else:                                 # row p -> column node: (p, node) rises
            c = cols[node - s]
            up[rows[p], c] -= 1
            dn[rows[p], c] += 1
        node = p


@numba.njit(nogil=True, cache=True)
def _rise(rows, t, dim_cols, up, dn, a, target, need):
    """How far (up to need) moves of single respondents from row a to its siblings raise
    the cell `target` of row a (its total column t, or a group): each move takes the
    total up at a and down at a sibling, with a route in every characteristic (through
    the target's column first in its own). up, dn: the segment's rooms, changed in place."""
    s = len(rows)
    n_dims, m = dim_cols.shape
    seen = np.zeros(s + m, np.bool_)
    prevs = np.full((n_dims, s + m), -1, np.int64)
    done = 0
    while done < need:
        if up[rows[a], t] < 1:
            break
        moved = False
        for b in range(s):
            if b == a or dn[rows[b], t] < 1:
                continue
            ok = True
            for d in range(n_dims):
                cols = dim_cols[d]
                g = -1
                for h in range(m):
                    if cols[h] == target:
                        g = h
                if not _path(rows, cols, up, dn, a, b, g, seen, prevs[d]):
                    ok = False
                    break
            if not ok:
                continue
            for d in range(n_dims):
                _apply(rows, dim_cols[d], up, dn, b, prevs[d], s)
            up[rows[a], t] -= 1
            dn[rows[a], t] += 1
            up[rows[b], t] += 1
            dn[rows[b], t] -= 1
            moved = True
            break
        if not moved:
            break
        done += 1
    return done


@numba.njit(nogil=True, cache=True)
def _room(xv, yv, st, layer, rise, min_cell, count_rule):
    """certify.rooms of one cell: how far layer `layer` (0 the count, 1 the complement, 2
    the swap of count and complement) may raise it (`rise`) or lower it; -1 if published."""
    if st == OK:
        return -1
    if layer == 2:                            # a swap: the count rises as far as the complement can fall
        return xv - yv if rise else yv
    if rise:
        if st == FIXED:
            return -xv
        if st == PRIMARY and not count_rule:
            return min_cell - 1 - xv
        return BIG - xv
    v = yv if layer == 0 else xv - yv
    return min(v, xv - (min_cell if st == SECONDARY else 0))


@numba.njit(nogil=True, cache=True)
def _targets(seg_rows, seg_start, seg_of, pos_in_seg, all_cols, dim_cols, col_ind, x, y, status, layer, fall,
             min_cell, count_rule, nodes, cells, need, out):
    """out[i] = how far cell i (nodes[i], cells[i]) can rise (with `fall`, fall: a fall is a
    rise with the rooms swapped), up to need[i], by moves to its siblings in layer `layer`
    (one search on copies of the rooms per cell)."""
    for i in range(len(nodes)):
        if need[i] <= 0:
            continue
        si = seg_of[nodes[i]]
        if si < 0:
            continue
        rows = seg_rows[seg_start[si]:seg_start[si + 1]]
        k = col_ind[cells[i]]
        cols_k = dim_cols[:, k, :]
        used = np.concatenate((np.array([all_cols[k]]), cols_k.ravel()))
        # local copies of the rooms the moves may change (the segment's cells of indicator k)
        lu = np.empty((len(rows), len(used)), np.int64)
        ld = np.empty((len(rows), len(used)), np.int64)
        for r in range(len(rows)):
            for j in range(len(used)):
                c = used[j]
                if c < 0:
                    lu[r, j] = -1
                    ld[r, j] = -1
                    continue
                xv, yv, st = x[rows[r], c], y[rows[r], c], status[rows[r], c]
                lu[r, j] = _room(xv, yv, st, layer, not fall, min_cell, count_rule)
                ld[r, j] = _room(xv, yv, st, layer, fall, min_cell, count_rule)
        # the same search over local rows 0..s-1 and local columns 0..len(used)-1
        loc_rows = np.arange(len(rows))
        n_dims, m = cols_k.shape
        loc_cols = np.full((n_dims, m), -1, np.int64)
        target = -1
        for d in range(n_dims):
            for h in range(m):
                if cols_k[d, h] >= 0:
                    loc_cols[d, h] = 1 + d * m + h
                    if cols_k[d, h] == cells[i]:
                        target = 1 + d * m + h
        if cells[i] == all_cols[k]:
            target = 0
        out[i] = _rise(loc_rows, 0, loc_cols, lu, ld, pos_in_seg[nodes[i]], target, need[i])


def sibling_segments(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """(starts, leaves): the leaves with a leaf sibling, grouped by parent, the siblings of
    segment i being leaves[starts[i]:starts[i + 1]]."""
    parent = grid.tree.parent
    leaf = np.flatnonzero(grid.tree.is_leaf & (parent >= 0))
    leaf = leaf[np.argsort(parent[leaf], kind="stable")]
    _, counts = np.unique(parent[leaf], return_counts=True)
    leaf = leaf[np.repeat(counts >= 2, counts)]
    _, first = np.unique(parent[leaf], return_index=True)
    return np.r_[first, len(leaf)].astype(np.int64), leaf.astype(np.int64)


def _padded_dim_cols(grid: Grid) -> np.ndarray:
    n_ind = len(grid.all_cols)
    m = max((c.shape[1] for c in grid.dim_cols), default=0)
    out = np.full((len(grid.dim_cols), n_ind, m), -1, np.int64)
    for d, cols in enumerate(grid.dim_cols):
        out[d, :, :cols.shape[1]] = cols
    return out


def route_moves(grid: Grid, x, y, status, bounds: Bounds, cells: np.ndarray, p: int) -> np.ndarray:
    """How far moves of single respondents to sibling leaves along routes raise and lower
    suppressed leaf cells ((k, 2) node, column): (k, 3, 2) for (base, count, complement) x
    (rise, fall), each at most p; 0 for a published cell or one without leaf siblings."""
    cells = np.asarray(cells, np.int64).reshape(-1, 2)
    out = np.zeros((len(cells), 3, 2), np.int64)
    starts, leaves = sibling_segments(grid)
    if not len(cells) or not len(leaves):
        return out
    seg_of = np.full(grid.n, -1, np.int64)
    seg_of[leaves] = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    pos = np.zeros(grid.n, np.int64)
    pos[leaves] = np.arange(len(leaves)) - np.repeat(starts[:-1], np.diff(starts))
    dim_cols = _padded_dim_cols(grid)
    nodes, cols = cells[:, 0], cells[:, 1]
    need = np.where(status[nodes, cols] != OK, p, 0).astype(np.int64)
    x, y = np.asarray(x, np.int64), np.asarray(y, np.int64)
    status = np.asarray(status, np.int8)
    moves = []
    for layer in range(3):                           # the count, the complement, the swap
        both = []
        for fall in (False, True):
            got = np.zeros(len(cells), np.int64)
            _targets(leaves, starts, seg_of, pos, grid.all_cols.astype(np.int64), dim_cols,
                     grid.layout.col_ind.astype(np.int64), x, y, status, layer, fall,
                     int(bounds.min_cell), bool(bounds.count_rule), nodes, cols, need, got)
            both.append(got)
        moves.append(both)
    (yu, yd), (zu, zd), (su, sd) = moves
    # as survey.disclosure.shifts._SERVE: a base moves with its count or its complement; a
    # count with its base or by a swap; a complement with its base or by the swap reversed
    out[:, 0] = np.stack([np.maximum(yu, zu), np.maximum(yd, zd)], 1)
    out[:, 1] = np.stack([np.maximum(yu, su), np.maximum(yd, sd)], 1)
    out[:, 2] = np.stack([np.maximum(zu, sd), np.maximum(zd, su)], 1)
    return out


def route_widths(grid: Grid, x, y, status, bounds: Bounds, cells: np.ndarray, p: int) -> np.ndarray:
    """Proven widths (base, count, complement) of the cells by `route_moves`: a rise and a
    fall are two worlds on either side of the truth, so the width is their sum. (k, 3)."""
    return route_moves(grid, x, y, status, bounds, cells, p).sum(2)
