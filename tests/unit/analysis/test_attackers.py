"""The attackers the disclosure tests rely on find what is there to find: positive controls
for tests.support.lp, tests.support.equations and tests.support.intervals (a test that an attacker
recovers nothing is worth only as much as the attacker)."""
from __future__ import annotations

import numpy as np

from tests.support.equations import attack
from tests.support.lp import Ranges
from tests.support.intervals import widest_intervals


def test_ranges_are_exact_bounded_and_unbounded():
    # a + b = 5, b <= 3: a in [2, 5]; c free above
    r = Ranges(3, np.array([[1.0, 1.0, 0.0]]), [5.0], np.array([[0.0, 1.0, 0.0]]), [3.0])
    assert np.allclose(r.range([1, 0, 0]), (2, 5))
    assert r.range([0, 0, 1]) == (0, np.inf)
    assert np.allclose(r.range([1, 1, 0]), (5, 5))            # pinned, whatever the warm start
    assert np.allclose(widest_intervals(2, [{0: 1, 1: 1}, {1: 1}], [5, 3], [{0: 1}]), [(2, 2)])


def _cells(p2_status):
    rows = []
    for org, base, count, status in (("N", 20, 5, "ok"), ("P1", 12, 3, "ok"), ("P2", 8, 2, p2_status)):
        ok = status == "ok"
        rows.append({"indicator": "i", "org_code": org, "dimension": "all", "group": "All", "status": status,
                     "base": base if ok else "", "count": count if ok else "",
                     "percent": round(100 * count / base, 2) if ok else ""})
    return rows


def test_release_attacker_recovers_a_complement_left_alone():
    """A PCN of two practices publishing one of them: the other is its difference."""
    parent = {"N": None, "P1": "N", "P2": "N"}
    rates = [{"org_code": o, "status": "ok", "answered": a} for o, a in (("N", 20), ("P1", 12), ("P2", 8))]
    pinned = attack(_cells("primary"), rates, parent, {"i": "i"}, min_cell=11)
    assert len(pinned) == 2 and all("'P2'" in d for d in pinned)
    assert any("base pinned to [8.000, 8.000]" in d for d in pinned)
    assert any("count pinned to [2.000, 2.000]" in d for d in pinned)
    # with the PCN suppressed too (and its answers), nothing is pinned any more
    cells = _cells("primary")
    cells[0].update(status="secondary", base="", count="", percent="")
    assert attack(cells, rates[1:], parent, {"i": "i"}, min_cell=11) == []
