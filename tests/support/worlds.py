"""Small random worlds for the certificate tests (tests/unit/analysis/test_certificates.py,
test_shifts.py, test_routes.py): a tree with consistent random data and an arbitrary
suppression pattern (`patterns`, a hypothesis strategy), a hand-given PCN (`one_pcn`),
and an exact attacker over their leaf cells (`exact_intervals`, linear programming)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from scipy.optimize import linprog

from survey.analysis.layout import make_layout
from survey.disclosure.grid import make_grid
from survey.disclosure.status import OK, PRIMARY, SECONDARY
from survey.disclosure.structure import org_tree, rollup_matrix

N = 5          # minimum cell for these small worlds


def world(draw, dims):
    """A random tree (wave > ICS > 1-3 PCNs > 1-3 practices), leaf data consistent across
    characteristics, rolled up: returns tree, layout, base, count."""
    orgs = [("I1", "ICS", "ics", None)]
    leaves = []
    for n in range(draw(st.integers(1, 3))):
        orgs.append((f"N{n}", f"PCN {n}", "pcn", "I1"))
        for k in range(draw(st.integers(1, 3))):
            orgs.append((f"P{n}{k}", "practice", "practice", f"N{n}"))
            leaves.append(f"P{n}{k}")
    frame = pd.DataFrame(orgs, columns=["code", "name", "level", "parent_code"])
    tree = org_tree(frame, leaves)
    layout = make_layout(["ind"], dims)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    S, leaf_nodes = rollup_matrix(tree)
    lb = np.zeros((len(leaf_nodes), layout.n_cols))
    lc = np.zeros_like(lb)
    for j in range(len(leaf_nodes)):
        people = int(rng.integers(0, 14))
        yes = rng.random(people) < rng.uniform(0, 1)
        lb[j, 0], lc[j, 0] = people, yes.sum()
        for d in range(1, len(dims)):
            cols = np.flatnonzero(layout.col_dim == d)
            g = rng.choice(len(cols), size=people, p=rng.dirichlet(np.ones(len(cols))))
            lb[j, cols] = np.bincount(g, minlength=len(cols))
            lc[j, cols] = np.bincount(g, weights=yes, minlength=len(cols))
    base, count = np.asarray(S @ lb), np.asarray(S @ lc)
    return tree, layout, base.astype(np.int64), count.astype(np.int64)


def exact_intervals(tree, layout, base, count, status):
    """(lo, hi) of base, count and complement of every suppressed cell, by LP over the leaf
    cells: variables y and z (count and complement) per leaf and column."""
    S, leaf_nodes = rollup_matrix(tree)
    S = S.toarray()
    n_l, C = len(leaf_nodes), layout.n_cols
    nv = 2 * n_l * C

    def var(layer, leaf, col):
        return (layer * n_l + leaf) * C + col

    eq, rhs, ub, ubr = [], [], [], []
    for leaf in range(n_l):                      # All = sum of groups, per characteristic
        for d in range(1, len(layout.dims)):
            for layer in (0, 1):
                row = np.zeros(nv)
                row[var(layer, leaf, 0)] = 1
                for c in np.flatnonzero(layout.col_dim == d):
                    row[var(layer, leaf, c)] = -1
                eq.append(row); rhs.append(0)
    z = base - count
    targets = {}
    for node in range(tree.n):
        for col in range(C):
            rows = {}
            for layer in (0, 1):
                row = np.zeros(nv)
                for leaf in np.flatnonzero(S[node]):
                    row[var(layer, leaf, col)] = 1
                rows[layer] = row
            if status[node, col] == OK:
                eq += [rows[0], rows[1]]; rhs += [count[node, col], z[node, col]]
                continue
            both = rows[0] + rows[1]
            if status[node, col] == PRIMARY:
                ub.append(both); ubr.append(N - 1)
            else:
                ub.append(-both); ubr.append(-N)
            targets[(node, col)] = (both, rows[0], rows[1])
    out = {}
    for key, objs in targets.items():
        ends = []
        for c in objs:
            lo = linprog(c, A_eq=np.array(eq), b_eq=rhs, A_ub=np.array(ub), b_ub=ubr, bounds=(0, None), method="highs")
            hi = linprog(-c, A_eq=np.array(eq), b_eq=rhs, A_ub=np.array(ub), b_ub=ubr, bounds=(0, None), method="highs")
            assert lo.status == 0, lo.message
            ends.append((lo.fun, np.inf if hi.status == 3 else -hi.fun))
        out[key] = ends
    return out


@st.composite
def patterns(draw, dims):
    tree, layout, base, count = world(draw, dims)
    flip = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(base.shape) < draw(st.floats(0, 0.6))
    sup = (base < N) | flip
    status = np.where(sup, np.where(base < N, PRIMARY, SECONDARY), OK).astype(np.int8)
    return tree, layout, base, count, status


def one_pcn(practices: dict, dims):
    """One ICS > one PCN > the given practices; returns grid, base, count, status (every
    row rolled up; the ICS, PCN and wave rows published)."""
    codes = list(practices)
    orgs = pd.DataFrame([("I1", "ICS", "ics", None), ("N0", "PCN", "pcn", "I1")]
                        + [(c, c, "practice", "N0") for c in codes], columns=["code", "name", "level", "parent_code"])
    tree = org_tree(orgs, codes)
    layout = make_layout(["ind"], dims)
    grid = make_grid(tree, layout)
    leaf_b = np.array([b for b, _, _ in practices.values()], np.int64)
    leaf_c = np.array([c for _, c, _ in practices.values()], np.int64)
    leaf_s = np.array([s for _, _, s in practices.values()], np.int8)
    top = np.vstack([leaf_b.sum(0)] * 3), np.vstack([leaf_c.sum(0)] * 3)
    base, count = np.vstack([top[0], leaf_b]), np.vstack([top[1], leaf_c])
    status = np.vstack([np.zeros((3, leaf_b.shape[1]), np.int8), leaf_s])
    return grid, base, count, status
