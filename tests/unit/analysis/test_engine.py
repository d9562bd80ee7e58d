"""The generic engine: cheap pass, bridge and two-zeros patterns, protect_counts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.analysis import Relations, audit, protect, protect_counts
from survey.disclosure.relations import relation_counts
from survey.disclosure.status import OK, PRIMARY
from tests.support.intervals import attack_relations


def bridge_system():
    """Two directed triangles of suppressed cells joined by one cell z: every relation holds
    at least two suppressed cells, yet z is exactly determined (it is a bridge)."""
    sup_vals = {"x12": 5, "x23": 7, "x31": 6, "z": 9, "y45": 4, "y56": 8, "y64": 3}
    names = list(sup_vals)
    edges = {"x12": (1, 2), "x23": (2, 3), "x31": (3, 1), "z": (3, 4),
             "y45": (4, 5), "y56": (5, 6), "y64": (6, 4)}          # out of, into
    rel, cell, coef, values = [], [], [], list(sup_vals.values())
    for r in range(1, 7):
        s = 0
        for k, name in enumerate(names):
            a, b = edges[name]
            if r in (a, b):
                c = 1 if r == b else -1
                rel.append(r - 1); cell.append(k); coef.append(c); s += c * sup_vals[name]
        # one published cell per relation closes it
        rel.append(r - 1); cell.append(len(values)); coef.append(-1 if s > 0 else 1)
        values.append(abs(s))
    suppressed = np.zeros(len(values), bool)
    suppressed[:len(names)] = True
    return np.array(values, float), Relations(np.array(rel), np.array(cell), np.array(coef), 6), suppressed


def test_bridge_is_caught_by_the_audit():
    values, rel, sup = bridge_system()
    assert (relation_counts(rel, sup) >= 2).all()          # the cheap pass sees nothing wrong
    report = audit(values, rel, sup, protection=2)
    assert [f["cell"] for f in report.failures] == [3]     # z, and only z


def test_protect_repairs_the_bridge():
    values, rel, sup = bridge_system()
    prot = protect(values, rel, sup, protection=2)
    assert prot.audit.passed and prot.audit.added_by_audit >= 1
    assert audit(values, rel, prot.suppressed, protection=2).passed


def test_two_zeros_are_caught_and_repaired():
    # T = a + b + c with b = c = 0 suppressed and T, a published: b + c = 0 pins both at zero
    values = np.array([20.0, 20.0, 0.0, 0.0])
    pairs = [(0, [1, 2, 3])]
    rel = Relations.from_lists(pairs)
    sup = np.array([False, False, True, True])
    report = audit(values, rel, sup, primary=sup, protection=2)
    assert sorted(f["cell"] for f in report.failures) == [2, 3]
    prot = protect(values, rel, sup, protection=2, reluctant=np.array([True, False, False, False]))
    assert prot.audit.passed
    assert prot.status.tolist() == [OK, 2, PRIMARY, PRIMARY]
    lo_hi = attack_relations(values, pairs, prot.suppressed)
    assert all(hi - lo >= 1 for lo, hi in lo_hi.values())


def two_way(rows, cols, seed):
    """A rows x cols table with row, column and grand totals; returns values and pairs."""
    rng = np.random.default_rng(seed)
    body = rng.integers(0, 30, size=(rows, cols)).astype(float)
    body[rng.random(body.shape) < 0.3] = rng.integers(1, 5)
    full = np.zeros((rows + 1, cols + 1))
    full[:rows, :cols] = body
    full[:rows, cols] = body.sum(1); full[rows, :cols] = body.sum(0); full[rows, cols] = body.sum()
    idx = lambda r, c: r * (cols + 1) + c   # noqa: E731
    pairs = [(idx(r, cols), [idx(r, c) for c in range(cols)]) for r in range(rows + 1)]
    pairs += [(idx(rows, c), [idx(r, c) for r in range(rows)]) for c in range(cols + 1)]
    return full.ravel(), pairs


@pytest.mark.parametrize("seed", range(4))
def test_two_way_table_no_relation_with_a_single_suppression_and_attacker_pins_nothing(seed):
    values, pairs = two_way(4, 4, seed)
    rel = Relations.from_lists(pairs)
    primary = (values > 0) & (values < 5)
    prot = protect(values, rel, primary, protection=2)
    assert prot.audit.passed
    assert not (relation_counts(rel, prot.suppressed) == 1).any()
    for cell, (lo, hi) in attack_relations(values, pairs, prot.suppressed).items():
        need = 2 if primary[cell] else 1
        assert hi - lo >= need - 1e-6, (cell, lo, hi)


def test_previous_suppressions_are_kept():
    values, pairs = two_way(3, 3, 7)
    rel = Relations.from_lists(pairs)
    prev = np.zeros(len(values), bool); prev[[0, 5]] = True
    prot = protect(values, rel, np.zeros(len(values), bool), previous=prev)
    assert prot.suppressed[[0, 5]].all() and prot.audit.passed


def test_bad_input_is_refused():
    rel = Relations.from_lists([(0, [1, 2])])
    with pytest.raises(ValueError, match="do not add up"):
        protect(np.array([5.0, 1.0, 1.0]), rel, np.zeros(3, bool))
    with pytest.raises(ValueError, match="count <= value"):
        protect(np.array([5.0, 2.0, 3.0]), rel, np.zeros(3, bool), counts=np.array([4.0, 3.0, 1.0]))


def test_protect_counts_two_way_return():
    df = pd.DataFrame({"patient_safety": [3, 10, 12, 8, 33], "bullying": [0, 7, 20, 6, 33],
                       "detriment": [1, 0, 0, 2, 3]},
                      index=["P1", "P2", "P3", "P4", "ALL"])
    status = protect_counts(df, 5)
    assert status.shape == df.shape and set(status.stack()) <= {"ok", "primary", "secondary"}
    assert status.loc["P1", "patient_safety"] == "primary"
    assert status.loc["P2", "bullying"] == "ok"
    assert status.loc["ALL", "patient_safety"] == "ok"        # the total is kept
    for col in df.columns:                                       # never exactly one hidden
        assert (status[col] != "ok").sum() != 1
    # attacker: each column is total = sum of rows
    values = df.to_numpy(float).ravel()
    n_c = df.shape[1]
    pairs = [(4 * n_c + c, [r * n_c + c for r in range(4)]) for c in range(n_c)]
    sup = (status.to_numpy() != "ok").ravel()
    for lo, hi in attack_relations(values, pairs, sup).values():
        assert hi - lo >= 1 - 1e-6
    with pytest.raises(ValueError, match="not the sum"):
        protect_counts(df.assign(bullying=[1, 1, 1, 1, 1]), 5)
