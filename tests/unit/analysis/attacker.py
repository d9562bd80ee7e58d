"""An independent attacker: its own LP over everything published, written without the
engine's code. Used by the engine and release tests."""
from __future__ import annotations

import numpy as np

from tests.lp import Ranges


def widest_intervals(n_vars, eq_rows, eq_rhs, targets, ub_pairs=(), upper=None, ub_rows=(), ub_rhs=()):
    """For each target (a dict var -> coef), min and max of sum(coef * var) subject to
    eq_rows (list of dicts) == eq_rhs, var >= 0, var_a <= var_b for each (a, b), and
    ub_rows (list of dicts) <= ub_rhs."""
    A = np.zeros((len(eq_rows), n_vars))
    for i, row in enumerate(eq_rows):
        for v, c in row.items():
            A[i, v] += c
    A_ub = None
    b_ub = None
    if ub_pairs:
        A_ub = np.zeros((len(ub_pairs), n_vars))
        for i, (a, b) in enumerate(ub_pairs):
            A_ub[i, a] += 1
            A_ub[i, b] -= 1
        b_ub = np.zeros(len(ub_pairs))
    if ub_rows:
        extra = np.zeros((len(ub_rows), n_vars))
        for i, row in enumerate(ub_rows):
            for v, c in row.items():
                extra[i, v] += c
        A_ub = extra if A_ub is None else np.vstack([A_ub, extra])
        b_ub = np.asarray(ub_rhs, float) if b_ub is None else np.r_[b_ub, np.asarray(ub_rhs, float)]
    ranges = Ranges(n_vars, A, eq_rhs, A_ub, b_ub if b_ub is not None else (), upper=upper)
    out = []
    for t in targets:
        c = np.zeros(n_vars)
        for v, k in t.items():
            c[v] += k
        out.append(ranges.range(c))
    return out


def attack_relations(values, pairs, suppressed):
    """Generic table: cells with relations (total, [parts]); returns (lo, hi) per suppressed cell."""
    n = len(values)
    eq_rows, rhs = [], []
    for total, parts in pairs:
        row = {total: 1.0}
        for p in parts:
            row[p] = row.get(p, 0) - 1.0
        eq_rows.append(row); rhs.append(0.0)
    for i in range(n):
        if not suppressed[i]:
            eq_rows.append({i: 1.0}); rhs.append(float(values[i]))
    sup = [i for i in range(n) if suppressed[i]]
    return dict(zip(sup, widest_intervals(n, eq_rows, rhs, [{i: 1.0} for i in sup],
                                          upper=float(max(values)) * 4 + 10)))
