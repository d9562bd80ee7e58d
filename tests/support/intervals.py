"""Independent attackers over small systems, their own LP written without the engine's code:
`widest_intervals` for any system of equations; `table_intervals` for one indicator's release
tables (every published base and count, the group and hierarchy relations and the bounds the
status words give away). Used by the engine, property and release tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.support.lp import Ranges


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


def table_intervals(table: pd.DataFrame, orgs: pd.DataFrame, dims: dict, indicator: str, totals_only: bool = False,
                    known_empty=frozenset(), min_cell: int = 11):
    """Widest (lo, hi) of every suppressed base and count of one indicator's tables.

    known_empty: (dimension, group) nobody can be in by the indicator's published
    definition: 0 at every leaf.

    totals_only: an attacker who reads only the organisation totals that are published
    (never chosen for suppression, so not the engine's choice) and every cell's size class
    (under N, or at least N: "primary", or published or "secondary", whatever the engine
    chose): what it pins, the release could not have shielded."""
    t = table[table.indicator == indicator]
    parent = dict(zip(orgs.code, orgs.parent_code))
    leaves = sorted(set(t.loc[t.org_level == "practice", "org_code"].astype(str)))
    under = {}
    for p in leaves:
        a = p
        while a is not None and not (isinstance(a, float) and np.isnan(a)):
            under.setdefault(a, []).append(p)
            a = parent.get(a)
        under.setdefault("ALL", []).append(p)
    # variables: per leaf, per (dimension, group) a base and a count; "all" has group All
    var = {}
    for p in leaves:
        for d, dim in dims.items():
            for g in dim.groups:
                var[(p, d, g, "b")] = len(var)
                var[(p, d, g, "c")] = len(var)
    rows, rhs, pairs = [], [], []
    for p in leaves:
        for d, dim in dims.items():
            pairs += [(var[(p, d, g, "c")], var[(p, d, g, "b")]) for g in dim.groups]
            for g in dim.groups:
                if (d, g) in known_empty:
                    rows += [{var[(p, d, g, "b")]: 1.0}, {var[(p, d, g, "c")]: 1.0}]
                    rhs += [0.0, 0.0]
            if d == "all":
                continue
            for q in "bc":
                row = {var[(p, "all", "All", q)]: 1.0}
                for g in dim.groups:
                    row[var[(p, d, g, q)]] = -1.0
                rows.append(row); rhs.append(0.0)
    targets, keys, ub_rows, ub_rhs = [], [], [], []
    for r in t.itertuples():
        for q, col in (("b", "base"), ("c", "count")):
            expr = {var[(p, r.dimension, r.group, q)]: 1.0 for p in under[str(r.org_code)]}
            if totals_only and (r.dimension != "all" or r.status == "secondary"):
                if r.status != "ok":
                    targets.append(expr); keys.append((str(r.org_code), r.dimension, r.group, q))
                if q == "b" and r.status == "primary":          # a size class is public anyway
                    ub_rows.append(expr); ub_rhs.append(min_cell - 1.0)
                elif q == "b":
                    ub_rows.append({v: -c for v, c in expr.items()}); ub_rhs.append(-float(min_cell))
                continue
            if r.status == "ok":
                rows.append(expr); rhs.append(float(getattr(r, col)))
            else:
                targets.append(expr); keys.append((str(r.org_code), r.dimension, r.group, q))
                if q == "b" and r.status == "primary":          # base < N
                    ub_rows.append(expr); ub_rhs.append(min_cell - 1.0)
                elif q == "b":                                    # base >= N
                    ub_rows.append({v: -c for v, c in expr.items()}); ub_rhs.append(-float(min_cell))
    if not targets:
        return {}
    total = float(t.loc[(t.org_code == "ALL") & (t.dimension == "all"), "base"].fillna(0).iloc[0])
    return dict(zip(keys, widest_intervals(len(var), rows, rhs, targets, pairs, upper=max(total, 50) * 4,
                                           ub_rows=ub_rows, ub_rhs=ub_rhs)))
