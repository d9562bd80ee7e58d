"""The exact audit, per connected block of suppressed cells.

Suppressed cells are linked when they share a relation; published cells are constants.
The feasible set factorises over these blocks, so each block is audited on its own:
1. null-space test: with A the block's equation matrix (relations x suppressed cells), a
   cell is exactly determined iff its unit vector lies in A's row space, i.e. iff every
   null vector of A is zero on it (SVD);
2. LP bounds (scipy HiGHS) on the bases x and counts y of the block:
   A x = b_x, A y = b_y, 0 <= y <= x. A suppressed base (count) passes if
   max - min >= min(protection, cap) where cap is the smallest published total containing
   the cell (no part can exceed it, so nothing wider is possible).
To keep the number of LPs down, blocks are batched into one block-diagonal LP that is
solved for a few random objectives: every optimum is a feasible point, so the spread of
the points (and of the true values) is a proven lower bound on each interval. Only values
whose proven spread is still too narrow get their own exact min/max LPs.
"""
from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from survey.disclosure import highs
from survey.disclosure.relations import Relations, relation_counts

TOL = 1e-7
BATCH_VARS = 6000
N_RANDOM = 12
SVD_MAX = 400     # larger blocks: a positive LP width is itself the proof of non-determinacy


def block_labels(rel: Relations, sup: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Component label per cell (meaningful for suppressed cells) and per relation."""
    m = sup[rel.cell]
    rows = rel.cell[m]
    cols = n + rel.rel[m]
    g = sparse.coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + rel.n_rel,) * 2)
    _, lab = connected_components(g, directed=False)
    return lab[:n], lab[n:]


def audit_blocks(values, counts, rel: Relations, sup: np.ndarray, dirty: np.ndarray, req_x, req_y):
    """Audit every block that holds a `dirty` suppressed cell against the required widths
    (per cell, for values and counts). Returns (failing cells, stats)."""
    n = len(values)
    stats = {"blocks": 0, "cells": 0, "lp": 0, "capped": 0, "largest": 0, "svd": 0}
    if not sup.any():
        return np.zeros(0, dtype=np.int64), stats
    cell_lab, rel_lab = block_labels(rel, sup, n)
    todo = np.unique(cell_lab[sup & dirty])
    if len(todo) == 0:
        return np.zeros(0, dtype=np.int64), stats
    in_todo = np.zeros(n + rel.n_rel, bool)
    in_todo[todo] = True
    # suppressed cells of audited blocks, grouped by block
    cells = np.flatnonzero(sup & in_todo[cell_lab])
    cells = cells[np.argsort(cell_lab[cells], kind="stable")]
    # member rows of relations holding a suppressed cell of an audited block
    nsup = relation_counts(rel, sup)
    rel_in = (nsup > 0) & in_todo[rel_lab]
    mrow = np.flatnonzero(rel_in[rel.rel])
    mrow = mrow[np.argsort(rel_lab[rel.rel[mrow]], kind="stable")]
    c_lab = cell_lab[cells]
    m_lab = rel_lab[rel.rel[mrow]]
    c_bounds = np.searchsorted(c_lab, todo, side="left"), np.searchsorted(c_lab, todo, side="right")
    m_bounds = np.searchsorted(m_lab, todo, side="left"), np.searchsorted(m_lab, todo, side="right")
    stats["capped"] = int((sup & (req_x < 1)).sum())
    failing: list[np.ndarray] = []
    batch: list[dict] = []
    batch_vars = 0
    for b in range(len(todo)):
        bc = cells[c_bounds[0][b]:c_bounds[1][b]]
        br = mrow[m_bounds[0][b]:m_bounds[1][b]]
        stats["blocks"] += 1
        stats["cells"] += len(bc)
        stats["largest"] = max(stats["largest"], len(bc))
        blk = _block_system(bc, br, rel, sup, values, counts)
        det = _determined(blk["A"]) if len(bc) <= SVD_MAX else np.zeros(len(bc), bool)
        stats["svd"] += int(len(bc) <= SVD_MAX)
        if det.any():
            failing.append(bc[det])
        blk["cells"] = bc
        blk["req_x"] = np.where(det, np.inf, req_x[bc])
        blk["req_y"] = None if counts is None else np.where(det, np.inf, req_y[bc])
        if det.all():
            continue
        batch.append(blk)
        batch_vars += len(bc) * (1 if counts is None else 2)
        if batch_vars >= BATCH_VARS:
            failing.append(_lp_batch(batch, stats))
            batch, batch_vars = [], 0
    if batch:
        failing.append(_lp_batch(batch, stats))
    out = np.unique(np.concatenate(failing)) if failing else np.zeros(0, dtype=np.int64)
    return out, stats


def _block_system(bc, br, rel: Relations, sup, values, counts) -> dict:
    col = {int(c): i for i, c in enumerate(bc)}
    rids, r_loc = np.unique(rel.rel[br], return_inverse=True)
    A = np.zeros((len(rids), len(bc)))
    bx = np.zeros(len(rids))
    by = np.zeros(len(rids))
    mc = rel.cell[br]
    co = rel.coef[br].astype(float)
    s = sup[mc]
    c_loc = np.array([col[int(c)] for c in mc[s]], dtype=np.int64)
    np.add.at(A, (r_loc[s], c_loc), co[s])
    np.add.at(bx, r_loc[~s], -co[~s] * values[mc[~s]])
    if counts is not None:
        np.add.at(by, r_loc[~s], -co[~s] * counts[mc[~s]])
    return {"A": A, "bx": bx, "by": by, "x0": values[bc], "y0": None if counts is None else counts[bc]}


def _determined(A: np.ndarray) -> np.ndarray:
    """Cells whose unit vector lies in the row space of A (exactly determined)."""
    m, k = A.shape
    if m == 0:
        return np.zeros(k, bool)
    _, s, vt = np.linalg.svd(A, full_matrices=True)
    rank = int((s > 1e-9 * max(1.0, s[0] if len(s) else 1.0)).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(k, bool)
    return np.sqrt((null ** 2).sum(axis=0)) < 1e-8


def _lp_system(blocks: list[dict], with_counts: bool):
    """Block-diagonal LP over the given blocks: variables [x_b, y_b] per block."""
    eq_blocks, ub_blocks, beq, sizes = [], [], [], []
    for blk in blocks:
        A = sparse.csr_matrix(blk["A"])
        k = A.shape[1]
        if with_counts:
            eq_blocks.append(sparse.block_diag([A, A]))
            beq += [blk["bx"], blk["by"]]
            ub_blocks.append(sparse.hstack([-sparse.identity(k), sparse.identity(k)]))
            sizes.append(2 * k)
        else:
            eq_blocks.append(A)
            beq.append(blk["bx"])
            sizes.append(k)
    A_eq = sparse.block_diag(eq_blocks, format="csr") if eq_blocks else None
    b_eq = np.concatenate(beq) if beq else None
    A_ub = sparse.block_diag(ub_blocks, format="csr") if with_counts else None
    b_ub = np.zeros(A_ub.shape[0]) if with_counts else None
    return A_eq, b_eq, A_ub, b_ub, sizes


class _Solver:
    """One LP system (A_eq x = b_eq, A_ub x <= b_ub, 0 <= x <= ub) solved for many
    objectives. HiGHS keeps its basis between solves, so after the first objective each
    further one is a warm start: milliseconds instead of a fresh solve."""

    def __init__(self, A_eq, b_eq, A_ub, b_ub, n: int, stats):
        self.stats = stats
        self.n = n
        if A_eq is not None and A_eq.shape[0] == 0:
            A_eq, b_eq = None, None
        # every value is at most the largest published constant (all totals of a release are
        # bounded by the published wave total): an implied bound that keeps the LPs bounded
        ub = max(1.0, float(np.abs(b_eq).max(initial=0))) * 4 if b_eq is not None else highspy.kHighsInf
        parts, lower, upper = [], [], []
        if A_eq is not None:
            parts.append(sparse.csr_matrix(A_eq)); lower.append(b_eq); upper.append(b_eq)
        if A_ub is not None:
            parts.append(sparse.csr_matrix(A_ub)); lower.append(np.full(A_ub.shape[0], -highspy.kHighsInf)); upper.append(b_ub)
        A = sparse.vstack(parts, format="csc") if parts else sparse.csc_matrix((0, n))
        self.h = highs.model(A, np.zeros(n), np.full(n, ub), np.concatenate(lower) if lower else np.zeros(0),
                             np.concatenate(upper) if upper else np.zeros(0))
        self.cols = np.arange(n, dtype=np.int32)

    def solve(self, c):
        """(x, unbounded) for min c.x."""
        self.stats["lp"] += 1
        self.h.changeColsCost(self.n, self.cols, np.asarray(c, dtype=float))
        highs.run(self.h)
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return None, True
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"audit LP failed: {self.h.modelStatusToString(status)}")
        return np.asarray(self.h.getSolution().col_value), False


def _solve(c, A_eq, b_eq, A_ub, b_ub, stats):
    """A single LP (no warm start to be had)."""
    return _Solver(A_eq, b_eq, A_ub, b_ub, len(c), stats).solve(c)


def _lp_batch(blocks: list[dict], stats) -> np.ndarray:
    """Failing cells of a batch of blocks (see the module docstring)."""
    with_counts = blocks[0]["y0"] is not None
    A_eq, b_eq, A_ub, b_ub, sizes = _lp_system(blocks, with_counts)
    nv = sum(sizes)
    truth = np.concatenate([np.r_[b["x0"], b["y0"]] if with_counts else b["x0"] for b in blocks])
    req = np.concatenate([np.r_[b["req_x"], b["req_y"]] if with_counts else b["req_x"] for b in blocks])
    lo, hi = truth.copy(), truth.copy()
    rng = np.random.default_rng(nv)
    sign = np.ones(nv)
    solver = None
    for i in range(N_RANDOM):
        need = (hi - lo) < req - TOL
        if not need.any():
            break
        sign = rng.choice([-1.0, 1.0], size=nv) if i % 2 == 0 else -sign
        c = np.where(need, sign, 0.0) * rng.uniform(0.5, 1.5, size=nv)
        solver = solver or _Solver(A_eq, b_eq, A_ub, b_ub, nv, stats)
        x, unb = solver.solve(c)
        if unb:
            continue
        lo, hi = np.minimum(lo, x), np.maximum(hi, x)
    offs = np.cumsum([0] + sizes)
    # local copies: each needed value maximised and minimised over its neighbourhood, every
    # other cell of the block held at its true value (a sub-interval of the true one)
    need = np.flatnonzero((hi - lo) < req - TOL)
    if len(need):
        _local_bounds(blocks, offs, need, lo, hi, with_counts, stats)
    need = np.flatnonzero((hi - lo) < req - TOL)
    if len(need) == 0:
        return np.zeros(0, dtype=np.int64)
    # exact bounds for what is left, one block at a time; every optimum found is also a
    # feasible point that may settle other values of the same block
    failing = []
    blk_of = np.searchsorted(offs, need, side="right") - 1
    for b in np.unique(blk_of):
        sub = _lp_system([blocks[b]], with_counts)
        block_solver = _Solver(*sub[:4], sizes[b], stats)
        o = offs[b]
        for v in need[blk_of == b]:
            j = v - o
            for direction in (-1.0, 1.0):
                if hi[v] - lo[v] >= req[v] - TOL:
                    break
                c = np.zeros(sizes[b]); c[j] = direction
                x, unb = block_solver.solve(c)
                if unb:
                    hi[v] = np.inf
                    continue
                lo[o:o + sizes[b]] = np.minimum(lo[o:o + sizes[b]], x)
                hi[o:o + sizes[b]] = np.maximum(hi[o:o + sizes[b]], x)
            if hi[v] - lo[v] < req[v] - TOL:
                k = len(blocks[b]["cells"])
                failing.append(blocks[b]["cells"][j % k])
    return np.unique(np.asarray(failing, dtype=np.int64))


LOCAL_VARS = 40000
LOCAL_HOPS = 2


def _local_bounds(blocks, offs, need, lo, hi, with_counts, stats) -> None:
    """Bound many values at once: one LP over independent copies of small neighbourhoods,
    one copy per (value, direction); updates lo/hi in place with proven bounds."""
    blk_of = np.searchsorted(offs, need, side="right") - 1
    copies = []          # (A_sub, bx, by, var index within sub, direction, global var)
    for b in np.unique(blk_of):
        blk = blocks[b]
        A = blk["A"]
        k = A.shape[1]
        nz = sparse.csr_matrix((A != 0).astype(np.float32))
        nz_cols = nz.tocsc()
        adj = (nz.T @ nz).tocsr()
        reach = adj
        for _ in range(LOCAL_HOPS - 1):
            reach = (reach @ adj).tocsr()
        truth_x = blk["x0"]
        truth_y = blk["y0"]
        full_x = A @ truth_x
        full_y = None if truth_y is None else A @ truth_y
        for v in need[blk_of == b]:
            j = (v - offs[b]) % k
            keep = np.sort(reach.indices[reach.indptr[j]:reach.indptr[j + 1]])
            rows = np.unique(nz_cols[:, keep].nonzero()[0])
            As = A[np.ix_(rows, keep)]
            # the cells outside the neighbourhood are held at their true values
            bx = blk["bx"][rows] - (full_x[rows] - As @ truth_x[keep])
            by = None if truth_y is None else blk["by"][rows] - (full_y[rows] - As @ truth_y[keep])
            jj = int(np.searchsorted(keep, j))
            is_count = (v - offs[b]) >= k
            local_var = jj + (len(keep) if is_count else 0)
            for direction in (-1.0, 1.0):
                copies.append((As, bx, by, local_var, direction, v))
    start = 0
    while start < len(copies):
        chunk, size = [], 0
        while start < len(copies) and (size < LOCAL_VARS or not chunk):
            chunk.append(copies[start]); size += copies[start][0].shape[1] * (2 if with_counts else 1)
            start += 1
        sub_blocks = [{"A": a, "bx": bx, "by": by} for a, bx, by, *_ in chunk]
        A_eq, b_eq, A_ub, b_ub, sizes = _lp_system(sub_blocks, with_counts)
        c = np.zeros(sum(sizes))
        so = np.cumsum([0] + sizes)
        for i, (_, _, _, lv, d, _) in enumerate(chunk):
            c[so[i] + lv] = d
        x, unb = _solve(c, A_eq, b_eq, A_ub, b_ub, stats)
        if unb:
            continue      # leave these to the exact pass
        for i, (_, _, _, lv, d, v) in enumerate(chunk):
            val = x[so[i] + lv]
            lo[v] = min(lo[v], val)
            hi[v] = max(hi[v], val)
