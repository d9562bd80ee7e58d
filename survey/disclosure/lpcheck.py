"""The exact fallback: linear programming for the few cells the max-flow certificates of
survey.disclosure.flows and the total moves of survey.disclosure.certify cannot prove (moves
that mix layers, such as a count rising partly with its base and partly by trading with its
complement; totals whose partners sit deeper in the tree).

The system is one indicator's whole table (every column, every organisation) with its row,
column and nesting relations (survey.disclosure.grid). The caller names the unknowns; every other cell is held at its true
value, which can only narrow the intervals found, so a width found is a proof. Unknowns are
the bases x and counts y of those cells; the attacker knows every relation, 0 <= y <= x and
the status bounds on x. Unknowns are split into connected blocks; each block's first basis
comes by crossover from the true values (a feasible point) and HiGHS keeps its basis
between the objectives of the block, so every bound is a warm start.
"""
from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from survey.disclosure.certify import Bounds
from survey.disclosure.status import FIXED, OK
from survey.disclosure import highs
from survey.disclosure.grid import Grid


@dataclass(frozen=True)
class Relations:
    """One indicator's relations as members (rel, cell, coef) over its cells node * per +
    local column, indexed both ways, so that an LP over a few unknowns touches only their
    relations (a national indicator has 600,000 cells; a neighbourhood a few hundred)."""
    rel: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    of_cell: tuple          # (starts, member positions): the members of each cell
    of_rel: tuple           # (starts, member positions): the members of each relation


def _index(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return np.searchsorted(keys[order], np.arange(n + 1)), order


def _members(index: tuple, ids: np.ndarray) -> np.ndarray:
    """The member positions of the given cells (or relations), in their order."""
    starts, order = index
    lo, hi = starts[ids], starts[ids + 1]
    sizes = hi - lo
    run = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return order[np.repeat(lo, sizes) + run]


def indicator_relations(grid: Grid) -> Relations:
    """The relations of one indicator's table (the same for every indicator)."""
    lay = grid.layout
    per, n = lay.per_ind, grid.n
    local_dim = lay.col_dim[:per]
    rel, cell, coef = [], [], []
    r = 0
    for d in range(1, len(lay.dims)):
        members = np.flatnonzero(local_dim == d)
        rows = r + np.arange(n)
        rel += [rows, np.repeat(rows, len(members))]
        cell += [np.arange(n) * per, (np.arange(n)[:, None] * per + members).ravel()]
        coef += [np.ones(n, np.int8), -np.ones(n * len(members), np.int8)]
        r += n
    parent = grid.tree.parent
    internal = np.unique(parent[parent >= 0])
    ipos = np.full(n, -1, np.int64)
    ipos[internal] = np.arange(len(internal))
    cols = np.arange(per)
    child = np.flatnonzero(parent >= 0)
    rel += [r + (ipos[internal][:, None] * per + cols).ravel(), r + (ipos[parent[child]][:, None] * per + cols).ravel()]
    cell += [(internal[:, None] * per + cols).ravel(), (child[:, None] * per + cols).ravel()]
    coef += [np.ones(len(internal) * per, np.int8), -np.ones(len(child) * per, np.int8)]
    r += len(internal) * per
    # nesting: a coarser group is the sum of the finer groups inside it (White is White,
    # BME is Mixed + Asian + Black + Other), at every organisation
    for fam in lay.families:
        for c, parts in fam.sums():
            rows = r + np.arange(n)
            rel += [rows, np.repeat(rows, len(parts))]
            cell += [np.arange(n) * per + c, (np.arange(n)[:, None] * per + parts).ravel()]
            coef += [np.ones(n, np.int8), -np.ones(n * len(parts), np.int8)]
            r += n
    rel, cell = np.concatenate(rel), np.concatenate(cell)
    return Relations(rel, cell, np.concatenate(coef).astype(np.float64), _index(cell, n * per), _index(rel, r))


def lp_widths(grid: Grid, k: int, x, y, status, bounds: Bounds, unknown: np.ndarray, targets: np.ndarray,
              p: int, rels: Relations | None = None, need: np.ndarray | None = None) -> np.ndarray:
    """Exact widths (base, count, complement), each capped at p, of target cells of indicator
    k (indices node * per + local column), with `unknown` (bool, n * per) the cells free to
    move. With `need` ((n_targets, 3) required widths) a quantity needing nothing is not
    solved, and one whose maximum alone clears its need is not minimised (the width is then
    reported as the need). A target that is not an unknown is held at its value: width 0.
    Returns an (n_targets, 3) int array.

    Only the unknowns' relations are read: the system is built from them and the cells
    they hold at their true values, never from the whole table."""
    per = grid.layout.per_ind
    rels = rels if rels is not None else indicator_relations(grid)
    rel, cell, coef = rels.rel, rels.cell, rels.coef
    top = float(max(1.0, x[:, k * per:(k + 1) * per].max(initial=0))) * 4     # a bound for bases with none

    def at(cells, a):                    # values of one indicator's cells in a grid array
        return a[cells // per, k * per + cells % per]

    targets = np.asarray(targets, np.int64)
    out = np.zeros((len(targets), 3), np.int64)
    unk = np.flatnonzero(unknown)        # the unknowns, in cell order
    R = np.unique(rel[_members(rels.of_cell, unk)])          # their relations, in order
    mem = _members(rels.of_rel, R)                            # every member of those
    var = unknown[cell[mem]]
    r_loc = np.searchsorted(R, rel[mem])
    fixed_cells = cell[mem[~var]]
    const_x = np.bincount(r_loc[~var], weights=coef[mem[~var]] * at(fixed_cells, x), minlength=len(R))
    const_y = np.bincount(r_loc[~var], weights=coef[mem[~var]] * at(fixed_cells, y), minlength=len(R))
    v_loc = np.searchsorted(unk, cell[mem[var]])
    nu = len(unk)
    g = sparse.coo_matrix((np.ones(len(v_loc)), (v_loc, nu + r_loc[var])), shape=(nu + len(R),) * 2)
    _, lab = connected_components(g, directed=False)
    X, Y, S = at(unk, x).astype(np.float64), at(unk, y).astype(np.float64), at(unk, status)
    lower = np.where(S == 2, bounds.min_cell, 0).astype(np.float64)
    upper = np.minimum(np.asarray(bounds.upper(S), dtype=np.float64), top)
    t_loc = np.searchsorted(unk, targets)
    t_ok = (t_loc < nu) & (unk[np.minimum(t_loc, nu - 1)] == targets) if nu else np.zeros(len(targets), bool)
    rel_v, var_v, coef_v = r_loc[var], v_loc, coef[mem[var]]
    for b in np.unique(lab[t_loc[t_ok]]):
        vars_ = np.flatnonzero(lab[:nu] == b)
        pos = np.full(nu, -1, np.int64)
        pos[vars_] = np.arange(len(vars_))
        kk = len(vars_)
        inb = lab[var_v] == b
        rids, r_blk = np.unique(rel_v[inb], return_inverse=True)
        A = sparse.csr_matrix((coef_v[inb], (r_blk, pos[var_v[inb]])), shape=(len(rids), kk))
        M = sparse.vstack([sparse.block_diag([A, A]), sparse.hstack([-sparse.identity(kk), sparse.identity(kk)])],
                          format="csc")
        rhs = np.r_[-const_x[rids], -const_y[rids]]
        h = highs.model(M, np.r_[lower[vars_], np.zeros(kk)], np.r_[upper[vars_], upper[vars_]],
                        np.r_[rhs, np.full(kk, -highspy.kHighsInf)], np.r_[rhs, np.zeros(kk)])
        idx = np.arange(2 * kk, dtype=np.int32)
        # each target's maximum starts from the truth's basis, near its true value (not from
        # the last target's optimum, pushed elsewhere): 5% less time on the national release
        truth_basis = _start_at(h, np.r_[X[vars_], Y[vars_]], np.r_[rhs, Y[vars_] - X[vars_]])
        # every optimum is a feasible point: the spread of base, count and complement over
        # the points found so far (the truth among them) is a proven part of each interval
        px, py = X[vars_].copy(), Y[vars_].copy()
        seen = [[px.copy(), px.copy()], [py.copy(), py.copy()], [px - py, px - py]]
        for ti in np.flatnonzero(t_ok)[lab[t_loc[t_ok]] == b]:
            j = pos[t_loc[ti]]
            t = t_loc[ti]
            truth = (X[t], Y[t], X[t] - Y[t])
            for q, (a_, b_) in enumerate(((j, -1), (kk + j, -1), (j, kk + j))):
                want = p if need is None else int(need[ti, q])
                if want <= 0:
                    out[ti, q] = 0
                    continue
                if seen[q][1][j] - seen[q][0][j] >= want - 1e-7:
                    out[ti, q] = want
                    continue
                ends = []
                if truth_basis is not None:
                    h.setBasis(truth_basis)
                for sign in (-1.0, 1.0):                 # the maximum first
                    if sign > 0 and ends and ends[0] - truth[q] >= want - 1e-7:
                        ends.append(truth[q])             # enough room above the true value
                        break
                    c = np.zeros(2 * kk)
                    c[a_] = sign
                    if b_ >= 0:
                        c[b_] = -sign
                    h.changeColsCost(2 * kk, idx, c)
                    highs.run(h)
                    st = h.getModelStatus()
                    if st == highspy.HighsModelStatus.kUnbounded:
                        ends.append(-np.inf * sign)
                    elif st == highspy.HighsModelStatus.kOptimal:
                        ends.append(sign * h.getInfo().objective_function_value)
                        sol = np.asarray(h.getSolution().col_value)
                        for qq, v in enumerate((sol[:kk], sol[kk:], sol[:kk] - sol[kk:])):
                            np.minimum(seen[qq][0], v, out=seen[qq][0])
                            np.maximum(seen[qq][1], v, out=seen[qq][1])
                    else:
                        raise RuntimeError(f"audit LP failed: {h.modelStatusToString(st)}")
                width = ends[0] - ends[1]
                out[ti, q] = p if not np.isfinite(width) else min(p, int(np.floor(width + 1e-7)))
    return out


def _start_at(h, col_value, row_value):
    """Give HiGHS its first basis by crossover from a feasible point, the truth, so that
    even the first objective is a warm start. On the national release's first exact check
    that took the LPs from 25 to 20 s: a cold dual simplex from the slack basis took about
    110 ms for each LP of 5,000-20,000 columns. Returns the basis, or None where crossover
    failed (the first solve is then cold, as without it)."""
    h.setOptionValue("simplex_iteration_limit", 0)
    h.run()                                     # HiGHS's crossover needs a model that has run
    h.setOptionValue("simplex_iteration_limit", _NO_LIMIT)
    start = highspy.HighsSolution()
    start.col_value, start.row_value = col_value, row_value
    start.value_valid = True
    try:
        taken = h.crossover(start) == highspy.HighsStatus.kOk and h.getBasis().valid
    except (AttributeError, TypeError):         # a highspy without crossover from a solution
        taken = False
    if not taken:
        return None
    highs.warm(h)
    return h.getBasis()


_NO_LIMIT = 2**31 - 1


def _free(status):
    """Cells an LP must solve for: suppressed, and not empty by definition (those are known
    zeros, as good as published)."""
    return (status != OK) & (status != FIXED)


def neighbourhood_tops(grid: Grid, k: int, status, nodes: np.ndarray, columns: np.ndarray | None = None,
                       climb: int | None = None) -> np.ndarray:
    """Per node, the top of its neighbourhood in `subtree_unknowns` (the lowest ancestor
    whose cells in `columns` are all published, at most `climb` levels up); -1 - top where
    the neighbourhood reaches the wave and takes the wave's own cells in too."""
    per = grid.layout.per_ind
    parent = grid.tree.parent
    keep = np.ones(per, bool) if columns is None else np.isin(np.arange(per), columns)
    any_sup = (_free(status[:, k * per:(k + 1) * per]) & keep[None, :]).any(1)
    out = np.empty(len(nodes), np.int64)
    for i, u in enumerate(np.asarray(nodes).tolist()):
        t = parent[u] if parent[u] >= 0 else u
        steps = 1
        while any_sup[t] and parent[t] >= 0 and (climb is None or steps < climb):
            t = parent[t]
            steps += 1
        out[i] = -1 - t if any_sup[t] and parent[t] < 0 and (climb is None or steps < climb) else t
    return out


def subtree_unknowns(grid: Grid, k: int, status, nodes: np.ndarray, columns: np.ndarray | None = None,
                     climb: int | None = None, top: np.ndarray | None = None) -> np.ndarray:
    """Unknowns for cells at `nodes`: every suppressed cell of indicator k (in `columns`, local
    indices; all of them if None) below the lowest ancestor of each node whose cells in those
    columns are all published (or the wave). Holding a published cell fixed loses nothing, so
    within the columns this is exact; outside them the cells stay at their true values.
    `climb` stops at most that many levels up: the suppressed cells above are then held at
    their true values too, a stronger attacker, so a width found is still a proof."""
    per = grid.layout.per_ind
    keep = np.ones(per, bool) if columns is None else np.isin(np.arange(per), columns)
    sup = _free(status[:, k * per:(k + 1) * per]) & keep[None, :]
    if top is None:                              # (the caller's `neighbourhood_tops` for these nodes)
        top = neighbourhood_tops(grid, k, status, nodes, columns, climb)
    tops = np.zeros(grid.n, bool)
    wave = np.zeros(grid.n, bool)
    tops[np.where(top >= 0, top, -1 - top)] = True
    wave[-1 - top[top < 0]] = True               # up to the wave, itself free (nothing above)
    below = np.zeros(grid.n, bool)
    for lev in grid.levels:                      # top down
        below[lev.children] = tops[lev.parents][lev.slot] | below[lev.parents][lev.slot]
    below |= wave
    below[np.asarray(nodes)] = True
    return (sup & below[:, None]).ravel()
