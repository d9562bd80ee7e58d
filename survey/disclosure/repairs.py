"""Repairs on a table's network (survey.disclosure.flows): a cell that cannot move far enough
gets the published cells of a cheapest path suppressed.

The path runs from the cell's head to its tail (its tail to its head for a fall) through
suppressed arcs (free) and published ones (at their cost, with the room they would have as
secondary suppressions); the published arcs on it are suppressed. Arcs are repaired one at
a time, each re-checked first, so one repair that helps many cells is paid for once.
"""
from __future__ import annotations

import numba
import numpy as np

from survey.disclosure.flows import _SERVE, _enough, _push, _scratch, _undo, widths3


@numba.njit(cache=True)
def _usable(node, skip, entering, adj_start, adj_edge, r, r_all, sup):
    """Whether a path can leave (or, with `entering`, enter) node by an arc other than skip."""
    for k in range(adj_start[node], adj_start[node + 1]):
        e = adj_edge[k]
        a = e >> 1
        if a == skip:
            continue
        f = e ^ 1 if entering else e
        if (r[f] if sup[a] else r_all[f]) >= 1:
            return True
    return False


@numba.njit(cache=True)
def _cheapest_path(src, dst, skip, adj_start, adj_edge, tail, head, r, r_all, cost, sup, dist, prev, heap_n, heap_d,
                   seen, clock):
    """Dijkstra from src to dst: a suppressed arc is usable where its residual r allows (free),
    a published one where it would have room as a secondary suppression (r_all, at its
    cost); arc `skip` never. Returns True if found (prev filled). dist[i] holds only where
    seen[i] is this search's stamp (clock[0], advanced here): a search touches a few dozen
    nodes, and resetting all of dist for each one cost more than the searches themselves."""
    # a path must leave src and enter dst by a usable arc: where either has none (a row whose
    # other groups are empty by definition), the search would visit the whole network in vain
    if not _usable(src, skip, False, adj_start, adj_edge, r, r_all, sup) or \
            not _usable(dst, skip, True, adj_start, adj_edge, r, r_all, sup):
        return False
    clock[0] += 1
    now = clock[0]
    seen[src] = now
    dist[src] = 0.0
    size = 1
    heap_n[0] = src
    heap_d[0] = 0.0
    while size > 0:
        u = heap_n[0]
        du = heap_d[0]
        size -= 1
        if size > 0:
            heap_n[0] = heap_n[size]
            heap_d[0] = heap_d[size]
            i = 0
            while True:
                l, rr = 2 * i + 1, 2 * i + 2
                s = i
                if l < size and heap_d[l] < heap_d[s]:
                    s = l
                if rr < size and heap_d[rr] < heap_d[s]:
                    s = rr
                if s == i:
                    break
                heap_n[i], heap_n[s] = heap_n[s], heap_n[i]
                heap_d[i], heap_d[s] = heap_d[s], heap_d[i]
                i = s
        if du > dist[u]:
            continue
        if u == dst:
            return True
        for k in range(adj_start[u], adj_start[u + 1]):
            e = adj_edge[k]
            a = e >> 1
            if a == skip:
                continue
            if sup[a]:
                if r[e] < 1:
                    continue
                nd = du
            else:
                if r_all[e] < 1:
                    continue
                nd = du + cost[a]
            w = head[a] if (e & 1) == 0 else tail[a]
            if seen[w] != now or nd < dist[w]:
                seen[w] = now
                dist[w] = nd
                prev[w] = e
                j = size
                size += 1
                heap_n[j] = w
                heap_d[j] = nd
                while j > 0:
                    pj = (j - 1) // 2
                    if heap_d[pj] <= heap_d[j]:
                        break
                    heap_n[pj], heap_n[j] = heap_n[j], heap_n[pj]
                    heap_d[pj], heap_d[j] = heap_d[j], heap_d[pj]
                    j = pj
    return False


@numba.njit(cache=True, nogil=True)
def repair(order, req, adj_start, adj_edge, tail, head, r, r_all, res, res_all, sup, cost, p, max_visit):
    """Make every listed arc (in order) movable enough: re-check it, and while its base,
    count or complement falls short, take the move (layer and direction) with the most room
    left, push the flow that move already has, and suppress the published arcs of the
    cheapest path that carries one unit more.

    req: (n_arcs, 3) required widths; r: (3, 2 n_arcs) residual capacities of the layers
    y, z, s (0 on published arcs); r_all: the capacities every arc would have if suppressed
    (as a secondary suppression). sup (and r with it) is updated in place. Returns the arcs
    that could not be repaired."""
    stamp, mark, prev, queue, log = _scratch(len(adj_start) - 1, len(tail))
    n_nodes = len(adj_start) - 1
    dist = np.empty(n_nodes, np.float64)
    dprev = np.empty(n_nodes, np.int64)
    dseen = np.zeros(n_nodes, np.int64)
    dclock = np.zeros(1, np.int64)
    heap_n = np.empty(2 * len(tail) + 8, np.int64)
    heap_d = np.empty(2 * len(tail) + 8, np.float64)
    failed = np.full(len(order), -1, np.int64)
    log2 = np.zeros(len(log), np.int64)
    nf = 0
    for i in range(len(order)):
        a = order[i]
        if not sup[a]:
            continue
        ok = False
        for attempt in range(8 * p + 4):
            if _enough(a, req[a], adj_start, adj_edge, tail, head, r, p, max_visit, stamp, mark, prev, queue, log):
                ok = True
                break
            w, fl = widths3(a, adj_start, adj_edge, tail, head, r, res, p, max_visit, stamp, mark, prev, queue,
                            log, log2)
            short = -1
            for q in range(3):
                if w[q, 0] + w[q, 1] < req[a, q]:
                    short = q
                    break
            if short < 0:
                ok = True
                break
            # the moves serving the short quantity, most room beyond their flow first; the
            # first for which a path (through published cells too) exists is taken
            cand_l = np.full(4, -1, np.int64)
            cand_s = np.full(4, -1, np.int64)
            cand_g = np.full(4, -1, np.int64)
            nc = 0
            for d in range(2):
                for j in range(2):
                    L = _SERVE[2 * short + d, j, 0]
                    D = _SERVE[2 * short + d, j, 1]
                    gain = min(p, r[L, 2 * a + D]) - fl[L, D]
                    if gain > 0:
                        cand_l[nc], cand_s[nc], cand_g[nc] = L, D, gain
                        nc += 1
            progressed = False
            for t in range(nc):
                best = -1
                for u_ in range(nc):
                    if cand_g[u_] > 0 and (best < 0 or cand_g[u_] > cand_g[best]):
                        best = u_
                if best < 0:
                    break
                layer, side = cand_l[best], cand_s[best]
                cand_g[best] = 0
                rl = r[layer]
                room = rl[2 * a + side]
                src = head[a] if side == 0 else tail[a]
                dst = tail[a] if side == 0 else head[a]
                up0, dn0 = rl[2 * a], rl[2 * a + 1]
                # the flow this move already has, pushed, so the path found carries one unit more
                flow, nlog = _push(a, rl, side, min(p, room), adj_start, adj_edge, tail, head, max_visit, stamp, mark,
                                   prev, queue, log)
                found = _cheapest_path(src, dst, a, adj_start, adj_edge, tail, head, rl, r_all[layer], cost, sup,
                                       dist, dprev, heap_n, heap_d, dseen, dclock)
                _undo(a, rl, log, nlog, up0, dn0)
                if not found:
                    continue
                added = 0
                node = dst
                while node != src:
                    e = dprev[node]
                    b = e >> 1
                    if not sup[b]:
                        sup[b] = True
                        for L in range(3):
                            r[L, 2 * b] = r_all[L, 2 * b]
                            r[L, 2 * b + 1] = r_all[L, 2 * b + 1]
                        for q in range(4):
                            res[q, b] = res_all[q, b]
                        added += 1
                    node = tail[b] if (e & 1) == 0 else head[b]
                if added > 0:
                    progressed = True
                    break
            if not progressed:
                break
        if not ok:
            failed[nf] = a
            nf += 1
    return failed[:nf]
