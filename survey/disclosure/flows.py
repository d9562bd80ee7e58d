"""One characteristic of one indicator as a network: exact intervals by max-flow.

With every organisation total held fixed (as if the attacker knew them all, which can only
help the attacker), the group cells of one (indicator, characteristic) table form a network:

    nodes  T(v, g) for every internal organisation v and group g (its column relation),
           R(l) for every leaf organisation l (its row: groups add up to its total),
           Z for the wave (its groups add up to the wave total);
    arcs   cell (v, g) runs from T(parent(v), g) (Z for the wave) to T(v, g) (R(v) at a leaf).

Every relation is conservation at a node (the rows of internal organisations follow from
the others), so a change of the suppressed numbers that keeps everything published is
exactly a circulation on the suppressed arcs. Per layer (y = count, or z = base - count,
the other held fixed) an arc may rise by `up` = upper - base and fall by
`dn` = min(layer, base - lower), the bounds coming from the status words. A cell can rise
by as much as can flow from its head back to its tail without it: a max-flow, computed
exactly (capped at the protection level) with at most `p` augmenting paths. The network
matrix is totally unimodular, so these integral flows are also exactly the linear
programme's bounds for that layer.

A cell that cannot move far enough is repaired on the same network
(survey.disclosure.repairs).

The kernels are compiled with numba; the network is plain index arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from survey.disclosure.grid import Grid


@dataclass
class Network:
    n_nodes: int
    tail: np.ndarray          # per arc (cell v*m + g)
    head: np.ndarray
    adj_start: np.ndarray     # CSR over nodes of residual edges leaving the node
    adj_edge: np.ndarray      # edge 2a: tail->head (rise), 2a+1: head->tail (fall)


def network(grid: Grid, m: int) -> Network:
    """The network of one characteristic with m groups (the same for every indicator)."""
    tree = grid.tree
    n = tree.n
    parent = tree.parent
    internal = ~tree.is_leaf
    int_pos = np.full(n, -1, np.int64)
    int_pos[internal] = np.arange(internal.sum())
    leaf_pos = np.full(n, -1, np.int64)
    leaf_pos[tree.is_leaf] = np.arange(tree.is_leaf.sum())
    n_int = int(internal.sum())
    z_node = n_int * m + int(tree.is_leaf.sum())
    v = np.repeat(np.arange(n), m)
    g = np.tile(np.arange(m), n)
    head = np.where(internal[v], int_pos[v] * m + g, n_int * m + leaf_pos[v])
    p = parent[v]
    tail = np.where(p >= 0, int_pos[np.maximum(p, 0)] * m + g, z_node)
    n_nodes = z_node + 1
    edge_from = np.empty(2 * len(v), np.int64)
    edge_from[0::2] = tail
    edge_from[1::2] = head
    order = np.argsort(edge_from, kind="stable")
    starts = np.searchsorted(edge_from[order], np.arange(n_nodes + 1))
    return Network(n_nodes, tail.astype(np.int64), head.astype(np.int64), starts.astype(np.int64),
                   order.astype(np.int64))


@numba.njit(cache=True)
def _open(src, dst, adj_start, adj_edge, r):
    """Whether some residual edge leaves src and some enters dst (without both, a search
    from src would visit all it can reach and still fail)."""
    out = False
    for k in range(adj_start[src], adj_start[src + 1]):
        if r[adj_edge[k]] > 0:
            out = True
            break
    if not out:
        return False
    for k in range(adj_start[dst], adj_start[dst + 1]):
        if r[adj_edge[k] ^ 1] > 0:
            return True
    return False


@numba.njit(cache=True)
def _augment(src, dst, adj_start, adj_edge, tail, head, r, p, max_visit, stamp, mark, prev, queue, log, nlog):
    """Push up to p units from src to dst along shortest residual paths; r is updated and every
    changed edge is appended to log (to be restored). Returns (flow, nlog)."""
    flow = 0
    while flow < p:
        if not _open(src, dst, adj_start, adj_edge, r):
            break                    # no path can leave src or enter dst: spare the full search
        stamp[0] += 1
        s = stamp[0]
        mark[src] = s
        qh, qt = 0, 1
        queue[0] = src
        found = False
        while qh < qt and not found:
            u = queue[qh]
            qh += 1
            for k in range(adj_start[u], adj_start[u + 1]):
                e = adj_edge[k]
                if r[e] <= 0:
                    continue
                a = e >> 1
                w = head[a] if (e & 1) == 0 else tail[a]
                if mark[w] == s:
                    continue
                mark[w] = s
                prev[w] = e
                if w == dst:
                    found = True
                    break
                queue[qt] = w
                qt += 1
                if qt >= max_visit:
                    break
            if qt >= max_visit:
                break
        if not found:
            break
        # bottleneck
        b = p - flow
        w = dst
        while w != src:
            e = prev[w]
            if r[e] < b:
                b = r[e]
            a = e >> 1
            w = tail[a] if (e & 1) == 0 else head[a]
        w = dst
        while w != src:
            e = prev[w]
            log[nlog] = e
            log[nlog + 1] = r[e]
            log[nlog + 2] = e ^ 1
            log[nlog + 3] = r[e ^ 1]
            nlog += 4
            r[e] -= b
            r[e ^ 1] += b
            a = e >> 1
            w = tail[a] if (e & 1) == 0 else head[a]
        flow += b
    return flow, nlog


@numba.njit(cache=True)
def _push(a, rl, side, cap, adj_start, adj_edge, tail, head, max_visit, stamp, mark, prev, queue, log):
    """Push up to cap units around arc a one way (side 0 rise, 1 fall) in residual rl, with
    a's own edges closed: (flow, log length). The caller keeps a's residuals and undoes it
    (`_undo`)."""
    rl[2 * a] = 0
    rl[2 * a + 1] = 0
    src = head[a] if side == 0 else tail[a]
    dst = tail[a] if side == 0 else head[a]
    return _augment(src, dst, adj_start, adj_edge, tail, head, rl, cap, max_visit, stamp, mark, prev, queue, log, 0)


@numba.njit(cache=True)
def _undo(a, rl, log, nlog, up, dn):
    """Restore rl after `_push` (the logged edges newest first, then a's own residuals)."""
    for i in range(nlog - 4, -1, -4):
        rl[log[i + 2]] = log[i + 3]
        rl[log[i]] = log[i + 1]
    rl[2 * a] = up
    rl[2 * a + 1] = dn


@numba.njit(cache=True)
def _one_way(a, rl, side, cap, adj_start, adj_edge, tail, head, max_visit, stamp, mark, prev, queue, log):
    """How far (up to cap) one layer's residual rl moves arc a one way (side 0 rise, 1
    fall): the flow around it; rl is left as it was."""
    up, dn = rl[2 * a], rl[2 * a + 1]
    room = up if side == 0 else dn
    if room <= 0 or cap <= 0:
        return 0
    flow, nlog = _push(a, rl, side, min(cap, room), adj_start, adj_edge, tail, head, max_visit, stamp, mark, prev,
                       queue, log)
    _undo(a, rl, log, nlog, up, dn)
    return flow


@numba.njit(cache=True)
def _moves(arc, adj_start, adj_edge, tail, head, r, p, max_visit, stamp, mark, prev, queue, log):
    """(rise, fall) of one arc: flow around it, each capped by its own room and by p."""
    return (_one_way(arc, r, 0, p, adj_start, adj_edge, tail, head, max_visit, stamp, mark, prev, queue, log),
            _one_way(arc, r, 1, p, adj_start, adj_edge, tail, head, max_visit, stamp, mark, prev, queue, log))


@numba.njit(cache=True)
def _scratch(n_nodes, n_arcs):
    return (np.zeros(1, np.int64), np.zeros(n_nodes, np.int64), np.zeros(n_nodes, np.int64),
            np.zeros(n_nodes + 1, np.int64), np.zeros(16 * n_arcs + 64, np.int64))


# for each quantity (base, count, complement) and direction: the (layer, layer direction)
# moves that serve it
_SERVE = np.array([
    [[0, 0], [1, 0]], [[0, 1], [1, 1]],      # base rises: y up or z up; falls: y down or z down
    [[0, 0], [2, 0]], [[0, 1], [2, 1]],      # count: y or s
    [[1, 0], [2, 1]], [[1, 1], [2, 0]],      # complement: z, or s the other way
], dtype=np.int64)


@numba.njit(cache=True)
def _layer_caps(L, ux, dx, y, z):
    """(rise, fall) room of layer L (0 y, 1 z, 2 s) from the resources of a cell."""
    if L == 0:
        return ux, min(dx, y)
    if L == 1:
        return ux, min(dx, z)
    return z, y


@numba.njit(cache=True)
def _joint(a, LA, SA, LB, SB, p, adj_start, adj_edge, tail, head, r, res, max_visit, stamp, mark, prev,
           queue, log, log2):
    """Units arc a moves by when layer LA (direction SA) pushes its max-flow first and layer
    LB (direction SB) then pushes on the resources left over (each arc's base headroom and
    floor, count and complement, res[:, arc]). Both push the cell the same way for the
    quantity served, so the sum is one feasible joint move."""
    ra, rb = r[LA], r[LB]
    a_up, a_dn, b_up, b_dn = ra[2 * a], ra[2 * a + 1], rb[2 * a], rb[2 * a + 1]
    room_a = a_up if SA == 0 else a_dn
    if room_a <= 0:
        return 0
    fa, nlog = _push(a, ra, SA, min(p, room_a), adj_start, adj_edge, tail, head, max_visit, stamp, mark, prev,
                     queue, log)
    if fa == 0 or fa >= p:
        _undo(a, ra, log, nlog, a_up, a_dn)
        return fa
    # net flow of A on every arc it touched (and on a itself), then what B may still use
    n2 = 0
    for j in range(0, nlog, 4):
        e = log[j]
        b = e >> 1
        log2[n2] = b
        n2 += 1
    log2[n2] = a
    n2 += 1
    saved = np.empty((n2, 2), np.int64)
    for t in range(n2):
        b = log2[t]
        if b == a:
            f = fa if SA == 0 else -fa
        else:
            f = ra[2 * b + 1] - _orig_fall(b, log, nlog, ra)
        ux, dx, yy, zz = res[0, b], res[1, b], res[2, b], res[3, b]
        if LA == 2:
            if f > 0:
                zz -= f
            else:
                yy += f
        else:
            if f > 0:
                ux -= f
            else:
                dx += f
                if LA == 0:
                    yy += f
                else:
                    zz += f
        bu, bd = _layer_caps(LB, max(ux, 0), max(dx, 0), max(yy, 0), max(zz, 0))
        saved[t, 0], saved[t, 1] = rb[2 * b], rb[2 * b + 1]
        if b != a:
            rb[2 * b] = min(rb[2 * b], bu)
            rb[2 * b + 1] = min(rb[2 * b + 1], bd)
        else:
            b_up, b_dn = min(b_up, bu), min(b_dn, bd)
    _undo(a, ra, log, nlog, a_up, a_dn)
    room_b = b_up if SB == 0 else b_dn
    fb = 0
    if room_b > 0:
        keep_up, keep_dn = rb[2 * a], rb[2 * a + 1]
        fb, nlog_b = _push(a, rb, SB, min(p - fa, room_b), adj_start, adj_edge, tail, head, max_visit, stamp, mark,
                           prev, queue, log)
        _undo(a, rb, log, nlog_b, keep_up, keep_dn)
    for t in range(n2 - 1, -1, -1):
        b = log2[t]
        if b != a:
            rb[2 * b], rb[2 * b + 1] = saved[t, 0], saved[t, 1]
    return fa + fb


@numba.njit(cache=True)
def _orig_fall(b, log, nlog, r):
    """The fall residual of arc b before the augmentation logged (its first logged value)."""
    for j in range(0, nlog, 4):
        if log[j] == 2 * b + 1:
            return log[j + 1]
        if log[j + 2] == 2 * b + 1:
            return log[j + 3]
    return r[2 * b + 1]


@numba.njit(cache=True)
def widths3(a, adj_start, adj_edge, tail, head, r, res, p, max_visit, stamp, mark, prev, queue, log, log2):
    """(rise, fall) of the base, the count and the complement of arc a, and the single-layer
    flows: from the three layers of moves (y: count and base together; z: complement and
    base; s: count and complement trade, base fixed), alone and two at a time."""
    fl = np.zeros((3, 2), np.int64)
    for L in range(3):
        u, d = _moves(a, adj_start, adj_edge, tail, head, r[L], p, max_visit, stamp, mark, prev, queue, log)
        fl[L, 0], fl[L, 1] = u, d
    out = np.empty((3, 2), np.int64)
    for q in range(3):
        for d in range(2):
            L1, S1 = _SERVE[2 * q + d, 0, 0], _SERVE[2 * q + d, 0, 1]
            L2, S2 = _SERVE[2 * q + d, 1, 0], _SERVE[2 * q + d, 1, 1]
            best = max(fl[L1, S1], fl[L2, S2])
            if 0 < best < p:
                if fl[L1, S1] >= fl[L2, S2]:
                    j = _joint(a, L1, S1, L2, S2, p, adj_start, adj_edge, tail, head, r, res, max_visit,
                               stamp, mark, prev, queue, log, log2)
                else:
                    j = _joint(a, L2, S2, L1, S1, p, adj_start, adj_edge, tail, head, r, res, max_visit,
                               stamp, mark, prev, queue, log, log2)
                best = max(best, j)
            out[q, d] = min(best, p)
    return out, fl


@numba.njit(cache=True)
def certify3(arcs, adj_start, adj_edge, tail, head, r, res, p, max_visit):
    """(n, 3, 2): how far the base, count and complement of each listed arc can be raised
    and lowered (each at most p), as proven by the moves."""
    stamp, mark, prev, queue, log = _scratch(len(adj_start) - 1, len(tail))
    out = np.zeros((len(arcs), 3, 2), np.int64)
    log2 = np.zeros(len(log), np.int64)
    for i in range(len(arcs)):
        w, _ = widths3(arcs[i], adj_start, adj_edge, tail, head, r, res, p, max_visit, stamp, mark, prev, queue,
                       log, log2)
        out[i] = w
    return out


@numba.njit(cache=True)
def _enough(a, need, adj_start, adj_edge, tail, head, r, p, max_visit, stamp, mark, prev, queue, log):
    """(For survey.disclosure.repairs' re-checks.) True when single-layer moves alone carry
    each quantity (base, count, complement) of arc a as far as it needs, rise and fall together: then widths3, whose widths are at
    least these moves, finds it wide enough too. Each move is pushed only as far as still
    needed (a secondary suppression needs 1: one search, where widths3 makes a dozen).
    False says nothing: widths3 decides."""
    flow = np.full((3, 2), -1, np.int64)       # per (layer, direction): flow found, and
    capped = np.zeros((3, 2), np.int64)        # the cap it was pushed with
    for q in range(3):
        want = min(need[q], p)
        total = 0
        for d in range(2):
            if total >= want:
                break
            best = 0
            for j in range(2):
                L = _SERVE[2 * q + d, j, 0]
                D = _SERVE[2 * q + d, j, 1]
                cap = want - total
                if flow[L, D] < 0 or (flow[L, D] == capped[L, D] and capped[L, D] < cap):
                    flow[L, D] = _one_way(a, r[L], D, cap, adj_start, adj_edge, tail, head, max_visit, stamp,
                                          mark, prev, queue, log)
                    capped[L, D] = cap
                if flow[L, D] > best:
                    best = flow[L, D]
                if best >= cap:
                    break
            total += best
        if total < want:
            return False
    return True
