"""Step 3 of survey.disclosure.suppress: the groups of every (indicator, characteristic)
table, with every organisation total taken as known to the attacker.

Each suppressed cell must be able to rise and fall, in its count and in its complement, by
the required width. Shifts between groups (survey.disclosure.shifts) prove most cells of a
table at once; max-flow on the table's network (survey.disclosure.flows) proves the rest
one by one, and where a cell cannot move far enough the cheapest path that frees it is
suppressed (survey.disclosure.repairs). Tables are independent, so a large grid works on
them on threads.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from survey.disclosure import flows, repairs, shifts
from survey.disclosure.certify import BIG, Bounds, requirements, rooms
from survey.disclosure.status import OK, PRIMARY, SECONDARY
from survey.disclosure.grid import Grid

MAX_VISIT = 200_000     # nodes one augmenting-path search may visit (larger: not proven)
# One cell's searches on a network cost about as much as the shifts of this many
# (node, group, group) entries (national tables: 40 us against 30 ns): below that many
# cells to prove, the shifts' whole-table pass is not worth running.
SHIFT_ARC_COST = 1000


def _capacities(x, y, status, bounds, p):
    """Residual capacities, (3, 2 n): layers y, z, s; edge 2a rise, 2a+1 fall; as the cells
    are (0 on published cells) and as they would be if every published cell were a
    secondary suppression; capped at p."""
    z = x - y
    pub = status == OK
    r = np.zeros((3, 2 * len(x)), np.int64)
    r_all = np.zeros((3, 2 * len(x)), np.int64)
    for L, v in enumerate((y, z)):
        up, dn = rooms(x, v, status, bounds)
        r[L, 0::2] = np.clip(np.where(pub, 0, up), 0, p)
        r[L, 1::2] = np.clip(np.where(pub, 0, dn), 0, p)
        r_all[L, 0::2] = np.clip(np.where(pub, BIG - x, up), 0, p)
        r_all[L, 1::2] = np.clip(np.where(pub, np.minimum(v, x - bounds.min_cell), dn), 0, p)
    # swaps: the count rises as far as the complement can fall, and falls as far as itself
    r_all[2, 0::2] = np.clip(z, 0, p)
    r_all[2, 1::2] = np.clip(y, 0, p)
    r[2] = np.where(np.repeat(pub, 2), 0, r_all[2])
    # per-cell resources (base headroom, base floor, count, complement) for joint moves
    ux_all = np.where(pub, BIG - x, bounds.upper(status) - x)
    dx_all = np.where(pub, x - bounds.min_cell, x - bounds.lower(status))
    res_all = np.clip(np.stack([ux_all, dx_all, y, z]), 0, p).astype(np.int64)
    res = np.where(pub[None, :], 0, res_all)
    return r, r_all, res, res_all


def _table_state(grid: Grid, status, cc, k: int) -> np.ndarray:
    """What a table's certificates depend on: its cells' statuses and, through the
    requirements, its organisation totals'."""
    return np.concatenate([status[:, cc], status[:, grid.all_cols[k]][:, None]], 1)


# Tables are independent within a call (each writes only its own columns, and the
# requirements are fixed for the call), so large grids run them on threads: the networks'
# kernels release the GIL. PARALLEL_CELLS: the grid size (cells) from which that pays.
PARALLEL_CELLS = 1_000_000


def protect_groups(grid: Grid, x, y, status, cost, bounds: Bounds, p: int, nets: dict,
                   memo: dict, req_memo: dict | None = None, workers: int | None = None) -> tuple[int, list]:
    """Step 3 for every (indicator, characteristic) whose cells changed since the last call
    (memo keeps each table's last pattern, failures and proven widths); returns (cells
    added, unprotected). workers: threads (default: the machine's cores for grids of
    PARALLEL_CELLS or more, else 1); the result is the same whatever the number."""
    req = requirements(grid, x, y, status, p, bounds.min_cell, bounds.count_rule, req_memo)
    added, failures = 0, []
    jobs = []
    for di, cols in enumerate(grid.dim_cols):
        m = cols.shape[1]
        if m not in nets:
            nets[m] = flows.network(grid, m)
        for k in range(cols.shape[0]):
            seen = memo.get((di, k))
            if seen is not None and np.array_equal(seen[0], _table_state(grid, status, cols[k], k)):
                failures += seen[1]
                continue
            jobs.append((di, k))
    if workers is None:
        workers = (os.cpu_count() or 1) if status.size >= PARALLEL_CELLS else 1

    def run(job):
        di, k = job
        return _protect_table(grid, x, y, status, cost, bounds, p, nets[grid.dim_cols[di].shape[1]],
                              grid.dim_cols[di][k], k, req, memo.get(job))

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, jobs))
    else:
        results = [run(j) for j in jobs]
    for job, (n_new, mine, entry) in zip(jobs, results):
        added += n_new
        failures += mine
        if entry is not None:
            memo[job] = entry
    return added, failures


def _protect_table(grid: Grid, x, y, status, cost, bounds: Bounds, p: int, net, cc, k: int, req, seen):
    """One table of protect_groups: certify its suppressed cells on its network, repairing
    those short; writes the table's columns of status. Returns (cells added, failures,
    memo entry or None)."""
    m = len(cc)
    v_of = np.repeat(np.arange(grid.n), m)
    X, Y = x[:, cc].ravel(), y[:, cc].ravel()
    # widths each cell's certificate has proven: a certificate uses the rooms of
    # suppressed cells only, which suppressing more never takes away, so it stands
    # while the cell needs no more (repair would re-check it and change nothing)
    proven = seen[2] if seen is not None else np.full((len(X), 3), -1, np.int16)   # widths <= p: small
    S = status[:, cc].ravel()
    sup = S != OK
    if not sup.any():
        return 0, [], None
    r, r_all, res, res_all = _capacities(X, Y, S, bounds, p)
    # what each cell needs once suppressed (a published one: as a secondary)
    rq = np.stack([req.x_if[:, cc].ravel(), req.y_if[:, cc].ravel(), req.z_if[:, cc].ravel()], 1)
    sup_new = sup.copy()
    arcs = np.flatnonzero(sup & (rq > proven).any(1))
    tcost = cost[:, cc].ravel().astype(np.float64)
    while True:
        if len(arcs) * SHIFT_ARC_COST >= grid.n * m * m:
            # shifts prove most cells at once (survey.disclosure.shifts); the networks
            # search only for what they leave short (r holds the repairs so far)
            w = shifts.table_widths(r, grid.tree.parent, grid.tree.is_leaf, p)[arcs]
            proven[arcs] = np.maximum(proven[arcs], np.minimum(w, rq[arcs]))
            arcs = arcs[(rq[arcs] > proven[arcs]).any(1)]
        # sensitive cells first, the finest level first, then the rest
        order = arcs[np.lexsort((-grid.depth[v_of[arcs]], S[arcs] != PRIMARY))]
        before = sup_new.copy()
        failed = repairs.repair(order, rq, net.adj_start, net.adj_edge, net.tail, net.head, r, r_all,
                              res, res_all, sup_new, tcost, p, MAX_VISIT)
        done = np.setdiff1d(order, failed)
        proven[done] = rq[done]
        fresh = sup_new & ~before
        if not fresh.any():
            break
        # cells the repairs suppressed were never checked themselves: check them
        # (and those still short) in turn
        S = np.where(fresh, SECONDARY, S)
        arcs = np.union1d(failed, np.flatnonzero(fresh))
    new = sup_new & ~sup
    if new.any():
        status[:, cc] = S.reshape(grid.n, m)
    mine = [(int(v_of[a]), int(cc[a % m])) for a in failed]
    return int(new.sum()), mine, (_table_state(grid, status, cc, k), mine, proven)
