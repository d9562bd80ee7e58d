"""Bulk certificates for a table's group cells: shifts between groups, found for every cell
at once by one pass up the tree and one pass down.

survey.disclosure.flows proves each suppressed cell of an (indicator, characteristic) table
by a max-flow of its own: exact, but at national scale four million searches. Most cells
need far less. A respondent's group can be relabelled without any published number
changing when two organisations trade: at organisation v a unit moves from group h to
group g, and elsewhere under the same parent a unit moves from g back to h. That is a
circulation on the network of survey.disclosure.flows (every arc it uses changes by one
unit within its room), so what it moves a cell by is proven, exactly as a max-flow's
augmenting path would be, with every organisation total held fixed.

Per layer (y, z or s, with the rooms `up` and `dn` of flows: 0 on published cells):

    S[v, h, g]  how far v can shift h -> g inside its own subtree: its own cells move
                (g up, h down), and, at an internal v, its children shift h -> g too
                (children are disjoint subtrees, so their shifts add);
    A[v, h, g]  how far the rest of the tree can take that back: v's siblings shift
                g -> h (each alone, or two different siblings through a third group f,
                g -> f -> h), or v's parent shifts h -> g itself and the tree above it
                takes that back (A of the parent);
    rise(v, g) = max over h of min(S[v, h, g], A[v, h, g]); fall(v, h) likewise.

Each term uses resources no other term of the same sum uses (different subtrees, the
parent's own cells), so the sums are feasible moves; everything is capped at the
protection level p. This finds less than a max-flow (no routes through a third group
inside one organisation, no rise of two made of two different single units), so a cell
it leaves short is simply handed to the networks; a cell it proves needs no search.
Like the networks' certificates, a proof uses only the rooms of suppressed cells, which
suppressing more never takes away, so it stands in later rounds.
"""
from __future__ import annotations

import numba
import numpy as np

# for each quantity (base, count, complement) and direction (rise, fall): the two
# (layer, layer direction) moves that serve it, as in survey.disclosure.flows._SERVE
_SERVE = (((0, 0), (1, 0)), ((0, 1), (1, 1)),     # base: y or z
          ((0, 0), (2, 0)), ((0, 1), (2, 1)),     # count: y, or s
          ((1, 0), (2, 1)), ((1, 1), (2, 0)))     # complement: z, or s the other way


@numba.njit(nogil=True, cache=True)
def _keep_top3(vals, ids, val, who):
    """Insert (val, who) into the three largest, kept in descending order."""
    if val <= vals[2]:
        return
    j = 2
    while j > 0 and val > vals[j - 1]:
        vals[j] = vals[j - 1]
        ids[j] = ids[j - 1]
        j -= 1
    vals[j] = val
    ids[j] = who


@numba.njit(nogil=True, cache=True)
def _siblings_take_back(P, v, g, h, shift, below, top_val, top_id, m, p):
    """How far P's children other than v can shift g -> h: each alone (their shifts add),
    or, where that is short, one route through a third group f (g -> f at one child,
    f -> h at another), added to the direct shifts when its two children take no part in
    them."""
    direct = below[P, g, h] - shift[v, g, h]
    if direct >= p:
        return p
    best_any = 0
    best_apart = 0
    for f in range(m):
        if f == g or f == h:
            continue
        for i in range(3):
            a = top_val[P, g, f, i]
            if a <= 0:
                break
            w1 = top_id[P, g, f, i]
            if w1 == v:
                continue
            for j in range(3):
                b = top_val[P, f, h, j]
                if b <= 0:
                    break
                w2 = top_id[P, f, h, j]
                if w2 == v or w2 == w1:
                    continue
                c = min(a, b)
                if c > best_any:
                    best_any = c
                if shift[w1, g, h] == 0 and shift[w2, g, h] == 0 and c > best_apart:
                    best_apart = c
                break
    return min(p, max(direct, best_any, direct + best_apart))


@numba.njit(nogil=True, cache=True)
def layer_moves(parent, is_leaf, up, dn, p):
    """(rise, fall), each (n, m) int64 capped at p: how far each cell of one layer can be
    raised and lowered by shifts. parent: (n,) with parents before children (-1 for the
    root); up, dn: (n, m) rooms of the layer, 0 on published cells."""
    n, m = up.shape
    shift = np.zeros((n, m, m), np.int32)            # S[v, h, g]: v moves h -> g
    below = np.zeros((n, m, m), np.int32)            # sum of the children's S
    top_val = np.zeros((n, m, m, 3), np.int32)       # per parent and (h, g): the three
    top_id = np.full((n, m, m, 3), -1, np.int64)     # children with the largest S
    for v in range(n - 1, -1, -1):
        P = parent[v]
        for h in range(m):
            if dn[v, h] <= 0:
                continue
            for g in range(m):
                if g == h or up[v, g] <= 0:
                    continue
                s = min(up[v, g], dn[v, h], p)
                if not is_leaf[v]:
                    s = min(s, below[v, h, g])
                if s <= 0:
                    continue
                shift[v, h, g] = s
                if P >= 0:
                    below[P, h, g] += s
                    _keep_top3(top_val[P, h, g], top_id[P, h, g], s, v)
    back = np.zeros((n, m, m), np.int32)             # A[v, h, g]
    rise = np.zeros((n, m), np.int64)
    fall = np.zeros((n, m), np.int64)
    for v in range(n):
        P = parent[v]
        if P < 0:
            continue
        leaf = is_leaf[v]
        for h in range(m):
            if dn[v, h] <= 0:
                continue
            for g in range(m):
                if g == h or up[v, g] <= 0 or (leaf and shift[v, h, g] <= 0):
                    continue
                a = min(up[P, g], dn[P, h], back[P, h, g])
                if a < p:
                    a = min(p, a + _siblings_take_back(P, v, g, h, shift, below, top_val, top_id, m, p))
                back[v, h, g] = a
                w = min(shift[v, h, g], a)
                if w > rise[v, g]:
                    rise[v, g] = w
                if w > fall[v, h]:
                    fall[v, h] = w
    return rise, fall


def table_widths(r: np.ndarray, parent: np.ndarray, is_leaf: np.ndarray, p: int) -> np.ndarray:
    """Proven widths (rise + fall, each capped at p) of the base, count and complement of
    every cell of one table: (n * m, 3). r: the layers' residual capacities as built by
    survey.disclosure.suppress (3, 2 * n * m): edge 2a rise, 2a + 1 fall of cell a = v * m + g."""
    n = len(parent)
    m = r.shape[1] // 2 // n
    moves = []
    for L in range(3):
        up = np.ascontiguousarray(r[L, 0::2].reshape(n, m))
        dn = np.ascontiguousarray(r[L, 1::2].reshape(n, m))
        moves.append(layer_moves(parent, is_leaf, up, dn, p))
    out = np.empty((n * m, 3), np.int64)
    for q in range(3):
        (la, da), (lb, db) = _SERVE[2 * q]
        rise = np.maximum(moves[la][da], moves[lb][db])
        (la, da), (lb, db) = _SERVE[2 * q + 1]
        fall = np.maximum(moves[la][da], moves[lb][db])
        out[:, q] = (np.minimum(rise, p) + np.minimum(fall, p)).ravel()
    return out
