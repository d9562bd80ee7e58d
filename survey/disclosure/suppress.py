"""Disclosure control of a whole release (survey.disclosure.grid), proven cell by cell.

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
   the required width (survey.disclosure.groups: shifts, max-flow and repairs).
4. Suppressed organisation totals, in the whole release: each must lie on a move of a
   respondent between two sibling organisations (survey.disclosure.certify, M2); where none
   exists, groups at a sibling are suppressed to make one, and 3 runs again.
5. What 3 and 4 leave unproven: groups on an M2 move are proven by it, and leaf cells
   under suppressed totals by respondents moved to sibling leaves along routes through
   other groups and leaves (survey.disclosure.routes); the rest go to linear programming
   over a neighbourhood of each cell (survey.disclosure.lpaudit). A cell still short there,
   or whose LP would be too wide, has the columns above it freed (`open_parents`) and 2-5
   run again; a cell left unproven after that stops the release.

Characteristics over one answer column (the two ethnicity tables; survey.disclosure.nesting)
describe the same people: each round first makes their patterns agree, M2 moves one
respondent in every one of them, and every hidden cell of theirs goes to step 5's LP,
whose system holds the nesting relations (no one-table certificate or route proves them).

The indicators whose bases count nearly every respondent (survey.disclosure.respondents)
describe the same people too: each round also makes them hide the same groups at every
organisation, so that the published number of answers cannot tell apart what one of them
hides and another prints.

Certificates, M2 widths and LP proofs stay valid when more is suppressed (a proof uses
only suppressed cells' rooms or holds the rest at their true values), so each round keeps
what earlier rounds proved and checks only what changed.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np

from survey.disclosure import groups, lpaudit, nesting, respondents, routes
from survey.disclosure.certify import Bounds, _sibling_leaf_pairs, m2_widths, requirements
from survey.disclosure.engine import AuditReport
from survey.disclosure.status import FIXED, OK, PRIMARY, SECONDARY
from survey.disclosure.grid import Grid

log = logging.getLogger(__name__)



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
    moves along routes (survey.disclosure.routes) prove."""
    req = requirements(grid, x, y, status, p, bounds.min_cell, bounds.count_rule, req_memo)
    # cells of nested characteristics: the networks' certificates took one table alone
    failures = set(failures) | set(map(tuple, np.argwhere(nesting.cells(grid, status)).tolist()))
    if failures:
        moved = m2_certified(grid, x, y, status, bounds, p, pairs, req, groups=True, memo=m2_memo)
        failures = [c for c in failures if not moved[c]]
    left = sorted(set(failures) | set(map(tuple, np.argwhere(bad_totals).tolist())))
    if not left:
        return set()
    if grid.layout.families:
        return set(left)          # routes move each characteristic alone: the LP decides
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


def _aligned(grid: Grid, x, status, everybody, answers, p: int) -> int:
    """nesting.align, respondents.agree and respondents.labels until the tables of one answer
    column agree, every indicator asking everybody hides the same groups at each
    organisation, and no group's status words pin a base through the published answers."""
    added = 0
    for _ in range(20):
        new = (nesting.align(grid, x, status) + respondents.agree(grid, status, everybody)
               + respondents.labels(grid, x, status, answers, p))
        added += new
        if new == 0:
            break
    return added


def _open_overlapping(grid: Grid, status, cells) -> int:
    """For each cell of a nested characteristic still too narrow: hide the published groups
    of the other tables of its answer column that share its people, at its organisation."""
    added = 0
    for node, col in cells:
        targets = nesting.overlapping(grid, col)
        new = targets[status[node, targets] == OK]
        status[node, new] = SECONDARY
        added += len(new)
    return added


def protect_grid(grid: Grid, x: np.ndarray, y: np.ndarray, primary: np.ndarray, cost: np.ndarray, *,
                 previous: np.ndarray | None = None, fixed: np.ndarray | None = None, min_cell: int = 11,
                 count_rule: bool = False, protection: float = 2.0, max_rounds: int = 10,
                 answers: np.ndarray | None = None):
    """Status (OK / PRIMARY / SECONDARY / FIXED per cell, nodes x columns) and an AuditReport
    whose failures list every suppressed cell left without proof (the release must then not
    be published). fixed: cells every reader knows to be 0 (empty by definition); they are
    suppressed and give no other cell room. answers: per node, how many responded (published
    in the response rates); without it, the largest total of any indicator (fewer, so an
    attacker knowing it is stronger)."""
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
    everybody = respondents.asking_everybody(grid, x, status == FIXED)
    answers = (np.asarray(answers, np.float64) if answers is not None
               else x[:, grid.all_cols].max(axis=1, initial=0).astype(np.float64))
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

    realigned = 0           # cells the last round's alignment added after its networks ran

    def one_round():
        """Steps 2-4 once: (groups added, totals added, failures, uncertified totals)."""
        nonlocal realigned
        report.added_by_audit += total_pass(grid, status, cost) + row_pass(grid, x, status)
        report.added_by_audit += _aligned(grid, x, status, everybody, answers, p)
        added, failures = groups.protect_groups(grid, x, y, status, cost, bounds, p, nets, memo, req_memo)
        realigned = _aligned(grid, x, status, everybody, answers, p)    # what the tables chose, agreed across them
        added += realigned
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
            if added == 0 or (not failures and not realigned):
                break
            continue
        if more == 0 and added == 0:
            break
    for attempt in range(4):
        left = _still_short(grid, x, y, status, bounds, p, pairs, failures, bad_totals, req_memo, m2_memo)
        report.lp_checked += len(left)
        fail_cells = lpaudit.exact_check(grid, x, y, status, bounds, p, left, lp_memo, req_memo, proven)
        log.debug("exact check %d: %d of %d cells short (%.1f s)", attempt, len(fail_cells), len(left),
                  time.perf_counter() - t0)
        if not fail_cells or attempt == 3:
            break
        # free the columns above each cell still too narrow (and the groups of the other
        # tables of its answer column that hold the same people), then prove everything again
        report.added_by_audit += open_parents(grid, status, fail_cells, totals=attempt >= 1)
        report.added_by_audit += _open_overlapping(grid, status, fail_cells)
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
