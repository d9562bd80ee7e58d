"""Disclosure control of a whole release (survey.analysis.grid), proven cell by cell.

1. Primary: the caller's pattern (bases under N, the optional count rule), plus every cell
   suppressed in an earlier release of the wave (monotone). Cells empty by their
   indicator's definition are FIXED: suppressed, but known to every reader to be 0.
2. Organisation totals: in every column of totals, a relation holding exactly one
   suppressed total gets its cheapest sibling total suppressed too (the only way to shield
   a total under N); a suppressed total whose groups of a characteristic are all
   published (or empty by definition) gets the largest of them suppressed (`row_pass`).
3. Groups, one (indicator, characteristic) at a time, with every organisation total taken
   as known to the attacker (so whatever is safe here is safe in the whole release): each
   suppressed cell must be able to rise and fall, in its count and in its complement, by
   the required width, proven for most cells at once by shifts between groups
   (survey.analysis.shifts) and for the rest by max-flow on the table's network
   (survey.analysis.flows); where it cannot, the cheapest path that frees it is suppressed
   (survey.analysis.repairs).
4. Suppressed organisation totals, in the whole release: each must lie on a move of a
   respondent between two sibling organisations (survey.analysis.certify, M2); where none
   exists, groups at a sibling are suppressed to make one, and 3 runs again.
5. What 3 and 4 leave unproven: groups on an M2 move are proven by it, and leaf cells
   under suppressed totals by respondents moved to sibling leaves along routes through
   other groups and leaves (survey.analysis.routes); the rest go to linear programming
   (`exact_check`, survey.analysis.lpcheck) over a neighbourhood of each cell. A cell still short there, or whose LP would be too wide, has the columns
   above it freed (`open_parents`) and 2-5 run again; a cell left unproven after that
   stops the release.

Certificates, M2 widths and LP proofs stay valid when more is suppressed (a proof uses
only suppressed cells' rooms or holds the rest at their true values), so each round keeps
what earlier rounds proved and checks only what changed.
"""
from __future__ import annotations

import logging
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from survey.analysis import flows, lpcheck, repairs, routes, shifts
from survey.analysis.certify import BIG, Bounds, _sibling_leaf_pairs, m2_widths, requirements, rooms
from survey.analysis.engine import FIXED, OK, PRIMARY, SECONDARY, AuditReport
from survey.analysis.grid import Grid

log = logging.getLogger(__name__)

MAX_VISIT = 200_000     # nodes one augmenting-path search may visit (larger: not proven)
# One cell's searches on a network cost about as much as the shifts of this many
# (node, group, group) entries (national tables: 40 us against 30 ns): below that many
# cells to prove, the shifts' whole-table pass is not worth running.
SHIFT_ARC_COST = 1000


def total_pass(grid: Grid, status: np.ndarray, cost: np.ndarray) -> int:
    """Column relations of organisation totals: never exactly one suppressed."""
    added = 0
    ac = grid.all_cols
    for _ in range(100):
        new = 0
        for lev in grid.levels:
            sup = status[:, ac] != OK
            sc = sup[lev.children]
            cnt = np.add.reduceat(sc.astype(np.int32), lev.starts, axis=0) + sup[lev.parents]
            single = cnt == 1
            if not single.any():
                continue
            cand = np.where(~sc & single[lev.slot], cost[lev.children][:, ac], np.inf)
            segmin = np.minimum.reduceat(cand, lev.starts, axis=0)
            eq = (cand == segmin[lev.slot]) & np.isfinite(cand)
            cs = np.cumsum(eq, axis=0, dtype=np.int32)
            before = np.vstack([np.zeros((1, cs.shape[1]), np.int32), cs[lev.starts[1:] - 1]])
            r, c = np.nonzero(eq & ((cs - before[lev.slot]) == 1))
            status[lev.children[r], ac[c]] = SECONDARY
            new += len(r)
        added += new
        if new == 0:
            break
    return added


def row_pass(grid: Grid, x, status: np.ndarray) -> int:
    """Rows of suppressed organisation totals: a total can move only with a group of every
    characteristic, so where every group of a characteristic is published (or empty by
    definition: WDES 8's Disabled group is its total), the largest published one is
    suppressed too. Returns cells added."""
    ac = grid.all_cols
    sup_total = status[:, ac] != OK                                   # (n, n_ind)
    added = 0
    for cols in grid.dim_cols:                                        # (n_ind, m)
        st = status[:, cols]                                          # (n, n_ind, m)
        free = (st != OK) & (st != FIXED)
        cand = np.where(st == OK, x[:, cols], -1)
        need = sup_total & ~free.any(-1) & (cand >= 0).any(-1)
        n_, k_ = np.nonzero(need)
        if len(n_) == 0:
            continue
        g = np.argmax(cand[n_, k_], axis=1)
        status[n_, cols[k_, g]] = SECONDARY
        added += len(n_)
    return added


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
            # shifts prove most cells at once (survey.analysis.shifts); the networks
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


def m2_certified(grid: Grid, x, y, status, bounds: Bounds, p: int, pairs, req, groups: bool = False,
                 memo: dict | None = None) -> np.ndarray:
    """Suppressed cells an M2 move proves wide enough (bool, nodes x columns): the leaf
    totals, and with `groups` the leaf groups as well."""
    (xu, xd), (yu, yd), (zu, zd) = m2_widths(grid, x, y, status, bounds, p, pairs, groups, memo)
    return (status != OK) & (yu + yd >= req.y) & (zu + zd >= req.z) & (xu + xd >= req.x)


def uncertified_totals(grid: Grid, x, y, status, bounds: Bounds, p: int, pairs,
                       req_memo: dict | None = None, m2_memo: dict | None = None) -> np.ndarray:
    """Suppressed organisation totals without an M2 move wide enough (bool, nodes x columns)."""
    req = requirements(grid, x, y, status, p, bounds.min_cell, bounds.count_rule, req_memo)
    ac = grid.all_cols
    bad = np.zeros(status.shape, bool)
    bad[:, ac] = (status[:, ac] != OK) & ~m2_certified(grid, x, y, status, bounds, p, pairs, req, memo=m2_memo)[:, ac]
    return bad


def _still_short(grid: Grid, x, y, status, bounds: Bounds, p: int, pairs, failures, bad_totals,
                 req_memo: dict | None = None, m2_memo: dict | None = None) -> set:
    """What the LP must look at: the totals without an M2 move, and the groups the networks
    could not certify, less what an M2 move (a respondent between sibling practices) or
    moves along routes (survey.analysis.routes) prove."""
    req = requirements(grid, x, y, status, p, bounds.min_cell, bounds.count_rule, req_memo)
    if failures:
        moved = m2_certified(grid, x, y, status, bounds, p, pairs, req, groups=True, memo=m2_memo)
        failures = [c for c in failures if not moved[c]]
    left = sorted(set(failures) | set(map(tuple, np.argwhere(bad_totals).tolist())))
    if not left:
        return set()
    cells = np.array(left, np.int64)
    n, c = cells[:, 0], cells[:, 1]
    need = np.stack([req.x[n, c], req.y[n, c], req.z[n, c]], 1)
    short = (routes.route_widths(grid, x, y, status, bounds, cells, p) < need).any(1)
    return set(map(tuple, cells[short].tolist()))


def complete_totals(grid: Grid, x, status, bad, pairs) -> int:
    """For each uncertified leaf total: at a sibling leaf whose total is suppressed, in every
    characteristic, suppress the group that is largest at the leaf itself (so the two share
    a group that can give and take a respondent). Returns cells added."""
    u, v = pairs
    ac = grid.all_cols
    if len(u) == 0:
        return 0
    need = bad[u[:, None], ac[None, :]] & (status[v[:, None], ac[None, :]] != OK)
    r, k = np.nonzero(need)
    if len(r) == 0:
        return 0
    key = u[r] * len(ac) + k
    _, first = np.unique(key, return_index=True)
    r, k = r[first], k[first]
    added = 0
    for cols in grid.dim_cols:
        cc = cols[k]
        g = np.argmax(x[u[r][:, None], cc], axis=1)
        tgt = cc[np.arange(len(r)), g]
        new = status[v[r], tgt] == OK
        status[v[r][new], tgt[new]] = SECONDARY
        added += int(new.sum())
    return added


def open_parents(grid: Grid, status, cells, totals: bool = False) -> int:
    """For each cell (node, column) still too narrow: suppress every published group cell of
    its characteristic (of every characteristic, for a total) at its parent, so the columns
    above it can move; with `totals` (the last resort, for tables too thin for anything
    else), the parent's organisation total as well. Returns cells added."""
    lay = grid.layout
    per = lay.per_ind
    parent = grid.tree.parent
    added = 0
    for node, col in cells:
        p_ = parent[node] if parent[node] >= 0 else node
        k, d = lay.col_ind[col], lay.col_dim[col]
        local = lay.col_dim[:per]
        targets = k * per + np.flatnonzero((local == d) if d != 0 else (local != 0))
        if totals and (parent == parent[p_]).sum() > 1:     # an only child's total is its parent's
            targets = np.r_[k * per, targets]
        new = targets[status[p_, targets] == OK]
        status[p_, new] = SECONDARY
        added += len(new)
        if totals and d != 0 and status[node, k * per] == OK and (parent == parent[node]).sum() > 1:
            # a row whose published total and status bounds pin it: free the total itself
            status[node, k * per] = SECONDARY
            added += 1
    return added


_NONE = np.full(3, -1, np.int64)     # no proof yet
# Levels the first, cheap LPs of a cell climb: its parent's subtree, then its
# grandparent's; what they leave short gets the whole neighbourhood. A smaller neighbourhood
# holds more at the true values (a stronger attacker, so still a proof) and solves much
# faster: at national scale the parent's LPs prove 82% of WDES 8's cells, and the
# protection took 138 s instead of 207 s with the same result.
LOCAL_CLIMBS = (1, 2)
# The widest LP attempted. Past it a cell counts as unproven and the escalation frees the
# columns above it instead: on the 50,000-response region the widest is 29,285 unknowns
# (a cold solve of its 58,570 columns takes 3 s); at national scale one is a whole table's
# 373,050 and did not finish in 10 minutes.
MAX_LP_UNKNOWNS = 100_000


def _on_threads(fn, jobs: list) -> list:
    """[fn(job) for job in jobs], on a thread per core when there is more than one job: the
    LP parts are independent, each has its own HiGHS instance, and HiGHS releases the GIL
    while it solves (two national LP parts at once took 0.56 of the time one after the
    other). The results come back in the jobs' order, so the release is the same."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        return [fn(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit-lp") as pool:
        return list(pool.map(fn, jobs))


def exact_check(grid: Grid, x, y, status, bounds: Bounds, p: int, cells, memo: dict | None = None,
                req_memo: dict | None = None, proven: dict | None = None) -> set:
    """The cells (node, column) that linear programming, too, finds pinned or too narrow.
    `memo` keeps each indicator's answer for its pattern and cells (an escalation that
    changed nothing of an indicator need not be solved again). `proven` keeps, per cell,
    the widths (base, count, complement) an LP has proven; a later call with more cells
    suppressed does not solve a cell again while it needs no more. That is sound because
    a proof holds every cell outside its unknowns at its true value: suppressing more only
    takes equations from the attacker (a cell keeps its status word once suppressed), so
    the proof's system is still a stronger attacker than the real one."""
    if not cells:
        return set()
    memo = {} if memo is None else memo
    proven = {} if proven is None else proven
    lay = grid.layout
    per = lay.per_ind
    req = requirements(grid, x, y, status, p, bounds.min_cell, bounds.count_rule, req_memo)
    rels = lpcheck.indicator_relations(grid)
    cells = np.array(sorted(cells), dtype=np.int64).reshape(-1, 2)
    bad = set()
    for k in np.unique(lay.col_ind[cells[:, 1]]):
        mine = cells[lay.col_ind[cells[:, 1]] == k]
        key = (int(k), status[:, k * per:(k + 1) * per].tobytes(), mine.tobytes())
        if key in memo:
            bad |= memo[key]
            continue
        local = mine[:, 1] - k * per
        # a total, or a group whose organisation total is suppressed too: everything below
        # the parent, every characteristic, totals free; any other group: its
        # characteristic below its grandparent, totals known
        coupled = (lay.col_dim[mine[:, 1]] == 0) | (status[mine[:, 0], k * per] != OK)
        dim = np.where(coupled, -1, lay.col_dim[mine[:, 1]])
        found = set()
        for d in np.unique(dim):
            sel = dim == d
            columns = None if d < 0 else np.flatnonzero(lay.col_dim[:per] == d)
            nodes, cs = mine[sel, 0], mine[sel, 1]
            t = nodes * per + local[sel]
            need = np.stack([req.x[nodes, cs], req.y[nodes, cs], req.z[nodes, cs]], 1)
            had = np.array([(proven.get(c, _NONE) >= q).all() for c, q in zip(zip(nodes.tolist(), cs.tolist()), need)],
                           dtype=bool).reshape(-1)
            nodes, cs, t, need = nodes[~had], cs[~had], t[~had], need[~had]
            # first with the unknowns near each cell only (the rest held at their true values,
            # which only helps the attacker); what that leaves short, with the whole neighbourhood
            for climb in (*LOCAL_CLIMBS, None) if len(nodes) else ():
                t1 = time.perf_counter()
                # cells whose neighbourhoods share a top share one LP; apart, each is smaller
                top = lpcheck.neighbourhood_tops(grid, k, status, nodes, columns, climb)
                w = np.zeros((len(nodes), 3), np.int64)
                parts = np.split(np.argsort(top, kind="stable"), np.flatnonzero(np.diff(np.sort(top))) + 1)

                def solve(part, k=k, columns=columns, climb=climb, nodes=nodes, top=top, t=t, need=need):
                    unknown = lpcheck.subtree_unknowns(grid, k, status, nodes[part], columns=columns, climb=climb,
                                                       top=top[part])
                    n = int(unknown.sum())
                    if climb is None and n > MAX_LP_UNKNOWNS:
                        return None, n           # unproven: the escalation frees the columns above
                    return lpcheck.lp_widths(grid, k, x, y, status, bounds, unknown, t[part], p, rels,
                                             need=need[part]), n

                n_unknown = 0
                for part, (wp, n) in zip(parts, _on_threads(solve, parts)):
                    n_unknown += n
                    if wp is not None:
                        w[part] = wp
                short = (w[:, 0] < need[:, 0]) | (w[:, 1] < need[:, 1]) | (w[:, 2] < need[:, 2])
                for c, q in zip(zip(nodes[~short].tolist(), cs[~short].tolist()), need[~short]):
                    proven[c] = q
                log.debug("indicator %d characteristic %d climb %s: %d cells, %d unknowns, %d short (%.1f s)",
                          k, d, climb, len(t), n_unknown, int(short.sum()), time.perf_counter() - t1)
                nodes, cs, t, need = nodes[short], cs[short], t[short], need[short]
                if not short.any():
                    break
            found |= set(map(tuple, np.stack([nodes, cs], 1).tolist()))
        memo[key] = found
        bad |= found
    return bad


def protect_grid(grid: Grid, x: np.ndarray, y: np.ndarray, primary: np.ndarray, cost: np.ndarray, *,
                 previous: np.ndarray | None = None, fixed: np.ndarray | None = None, min_cell: int = 11,
                 count_rule: bool = False, protection: float = 2.0, max_rounds: int = 10):
    """Status (OK / PRIMARY / SECONDARY / FIXED per cell, nodes x columns) and an AuditReport
    whose failures list every suppressed cell left without proof (the release must then not
    be published). fixed: cells every reader knows to be 0 (empty by definition); they are
    suppressed and give no other cell room."""
    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    if (y < 0).any() or (y > x).any():
        raise ValueError("counts must satisfy 0 <= count <= base in every cell")
    status = np.where(primary, PRIMARY, OK).astype(np.int8)
    if fixed is not None:
        status[np.asarray(fixed, bool) & (x == 0)] = FIXED     # (a cell with people in it is not)
    if previous is not None:
        status[previous & (status == OK)] = SECONDARY
    bounds = Bounds(int(min_cell), bool(count_rule))
    p = max(1, int(math.ceil(float(protection))))
    pairs = _sibling_leaf_pairs(grid)
    report = AuditReport(method="certificates")
    nets: dict = {}
    memo: dict = {}
    failures: list = []
    bad_totals = np.zeros(status.shape, bool)
    lp_memo: dict = {}
    req_memo: dict = {}     # requirements per pattern of published totals (certify.requirements)
    proven: dict = {}       # widths each cell's LP proved (exact_check)
    m2_memo: dict = {}      # the last M2 widths and the status they were worked out for

    def one_round():
        """Steps 2-4 once: (groups added, totals added, failures, uncertified totals)."""
        report.added_by_audit += total_pass(grid, status, cost) + row_pass(grid, x, status)
        added, failures = protect_groups(grid, x, y, status, cost, bounds, p, nets, memo, req_memo)
        bad_totals = uncertified_totals(grid, x, y, status, bounds, p, pairs, req_memo, m2_memo)
        more = complete_totals(grid, x, status, bad_totals, pairs) if bad_totals.any() else 0
        report.added_by_audit += added + more
        return added, more, failures, bad_totals

    for rnd in range(1, max_rounds + 1):
        report.rounds = rnd
        added, more, failures, bad_totals = one_round()
        log.debug("round %d: +%d groups, +%d totals, %d short, %d totals uncertified (%.1f s)",
                  rnd, added, more, len(failures), int(bad_totals.sum()), time.perf_counter() - t0)
        if not bad_totals.any():
            if added == 0 or not failures:
                break
            continue
        if more == 0 and added == 0:
            break
    for attempt in range(4):
        left = _still_short(grid, x, y, status, bounds, p, pairs, failures, bad_totals, req_memo, m2_memo)
        report.lp_checked += len(left)
        fail_cells = exact_check(grid, x, y, status, bounds, p, left, lp_memo, req_memo, proven)
        log.debug("exact check %d: %d of %d cells short (%.1f s)", attempt, len(fail_cells), len(left),
                  time.perf_counter() - t0)
        if not fail_cells or attempt == 3:
            break
        # free the columns above each cell still too narrow, then prove everything again
        report.added_by_audit += open_parents(grid, status, fail_cells, totals=attempt >= 1)
        for _ in range(max_rounds):
            added, more, failures, bad_totals = one_round()
            if added == 0 and more == 0:
                break
    sup = status != OK
    report.cells_checked = int(sup.sum())
    report.unprotected = len(fail_cells)
    report.certified = report.cells_checked - report.unprotected
    report.suppressed = int(sup.sum())
    report.primary = int(((status == PRIMARY) | (status == FIXED)).sum())
    report.secondary = int((status == SECONDARY).sum())
    report.failures = [{"cell": int(n_ * status.shape[1] + c_), "node": int(n_), "column": int(c_),
                        "reason": "no move found that keeps it from being pinned"}
                       for n_, c_ in sorted(fail_cells)]
    return status, report
