"""An independent attacker: every number a user can download, as linear equations, and
linear programming (tests.support.lp) for the feasible range of every suppressed number.

Unknowns, per canonical indicator (identical definitions share them, as the workbook's
notes tell the reader): the base and count of every (leaf organisation, characteristic
group, All) cell, and each leaf's number of answers. Known, and used:
- every published base and count at every level (a cell of an organisation is the sum
  over its leaves: the attacker knows the hierarchy);
- each published percent with its base, as an interval on the count (percent +- 0.005);
- at each leaf and characteristic, All = the sum of the groups;
- 0 <= count <= base; a leaf's All base <= its answers;
- published answer counts of the response rates, at every level;
- the published definitions: a group nobody can be in for an indicator (`known_empty`,
  (canonical indicator, dimension, group); WDES 8 asks Disabled staff only) holds 0 at
  every leaf;
- with use_status: what a status says, "primary" means fewer than N (the rule is
  published; count rule off), "secondary" means at least N (else it would have been
  primary).
A suppressed number is recovered if its range holds a single integer, unless it is a
zero that a published zero above it already states (a PCN's published count of 0 says
that each of its practices has 0: nothing about anyone beyond the published figure), or
a zero of a group that is empty in the whole wave (`empty_groups`, (indicator,
dimension, group) from the true counts: that nobody in the wave belongs to the group says
nothing about anyone).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import sparse

from tests.support.lp import Ranges


class System:
    def __init__(self):
        self.index: dict = {}
        self.eq_rows, self.eq_rhs = [], []
        self.ub_rows, self.ub_rhs = [], []

    def var(self, key) -> int:
        if key not in self.index:
            self.index[key] = len(self.index)
        return self.index[key]

    def eq(self, terms: dict, rhs: float):
        self.eq_rows.append(terms); self.eq_rhs.append(rhs)

    def le(self, terms: dict, rhs: float):
        self.ub_rows.append(terms); self.ub_rhs.append(rhs)

    def _matrix(self, rows):
        data, r, c = [], [], []
        for i, terms in enumerate(rows):
            for j, v in terms.items():
                r.append(i); c.append(j); data.append(v)
        return sparse.csr_matrix((data, (r, c)), shape=(len(rows), len(self.index)))

    def solve_range(self, terms: dict) -> tuple[float, float]:
        shape = (len(self.index), len(self.eq_rows), len(self.ub_rows))
        if getattr(self, "_cache", None) is None or self._cache[0] != shape:
            self._cache = (shape, Ranges(shape[0], self._matrix(self.eq_rows), self.eq_rhs,
                                         self._matrix(self.ub_rows), self.ub_rhs))
        obj = np.zeros(shape[0])
        for j, v in terms.items():
            obj[j] = v
        return self._cache[1].range(obj)


def attack(cells: list[dict], rates: list[dict], parent: dict[str, str | None], canon: dict[str, str],
           min_cell: int, use_status: bool = False, empty_groups=frozenset(), inherent: bool = False,
           only: set | None = None, known_empty=frozenset()) -> list[str]:
    """Returns a description of every suppressed number pinned to one value (empty = safe).

    inherent: an attacker who reads only what the release could not have withheld: the
    published organisation totals (never chosen as secondary suppressions) with their
    percents, the response counts, and every cell's size class (under N: "primary"; at
    least N: published or "secondary", whichever the engine chose). What it pins, no
    suppression could have shielded (a practice of 11 whose one group holds all 11 says
    that every other group is empty). only: the cells (as `cell_of` names them) to solve for,
    all if None."""
    use_status = use_status or inherent
    leaves_below: dict[str, list[str]] = defaultdict(list)
    has_child = {p for p in parent.values() if p}
    leaves = [c for c in parent if c not in has_child]
    for leaf in leaves:
        node = leaf
        while node is not None:
            leaves_below[node].append(leaf)
            node = parent.get(node)
        leaves_below["ALL"].append(leaf)

    by_ind: dict[str, list[dict]] = defaultdict(list)
    for row in cells:
        by_ind[canon[row["indicator"]]].append(row)
    pinned = []
    for k, rows in by_ind.items():
        s = System()
        groups = defaultdict(set)
        for r in rows:
            groups[r["dimension"]].add(r["group"])

        def cell_terms(org, dim, group, what):
            col = ("all", "All") if dim == "all" else (dim, group)
            return {s.var((what, leaf) + col): 1.0 for leaf in leaves_below[org]}

        for leaf in leaves:
            s.var(("a", leaf))
            for dim, gs in groups.items():
                if dim == "all":
                    continue
                for what in ("b", "c"):
                    terms = {s.var((what, leaf, "all", "All")): 1.0}
                    for g in gs:
                        terms[s.var((what, leaf, dim, g))] = terms.get(s.var((what, leaf, dim, g)), 0) - 1.0
                    s.eq(terms, 0.0)
            for dim, gs in groups.items():
                for g in (gs if dim != "all" else ["All"]):
                    s.le({s.var(("c", leaf, dim, g)): 1.0, s.var(("b", leaf, dim, g)): -1.0}, 0.0)
            s.le({s.var(("b", leaf, "all", "All")): 1.0, s.var(("a", leaf)): -1.0}, 0.0)
            for dim, gs in groups.items():
                for g in gs:
                    if (k, dim, g) in known_empty:
                        s.eq({s.var(("b", leaf, dim, g)): 1.0}, 0.0)
                        s.eq({s.var(("c", leaf, dim, g)): 1.0}, 0.0)
        seen = set()
        suppressed = []
        zero_totals = {(r["org_code"], r["dimension"], r["group"], what)
                       for r in rows if r["status"] == "ok" for what in ("base", "count") if float(r[what]) == 0}

        def implied_by_published_zero(org, dim, group, what):
            node = parent.get(org) if org != "ALL" else None
            while True:
                node = node if node is not None else "ALL"
                if (node, dim, group, what) in zero_totals:
                    return True
                if node == "ALL":
                    return False
                node = parent.get(node)
        for r in rows:
            key = (r["org_code"], r["dimension"], r["group"])
            if key in seen:          # an alias of the same definition: the same numbers
                continue
            seen.add(key)
            b_terms = cell_terms(*key, "b")
            c_terms = cell_terms(*key, "c")
            if inherent and (r["dimension"] != "all" or r["status"] == "secondary"):
                if r["status"] == "primary":
                    s.le(b_terms, min_cell - 1)
                else:
                    s.le({j: -1.0 for j in b_terms}, -min_cell)
                if r["status"] != "ok":
                    suppressed.append((key, b_terms, c_terms))
                continue
            if r["status"] == "ok":
                base, count = float(r["base"]), float(r["count"])
                s.eq(b_terms, base)
                s.eq(c_terms, count)
                p = float(r["percent"])
                s.le({**c_terms, **{j: -((p + 0.005) / 100) for j in b_terms}}, 0.0)
                s.le({**{j: -1.0 for j in c_terms}, **{j: (p - 0.005) / 100 for j in b_terms}}, 0.0)
            else:
                if use_status and r["status"] == "primary":
                    s.le(b_terms, min_cell - 1)
                elif use_status:
                    s.le({j: -1.0 for j in b_terms}, -min_cell)
                suppressed.append((key, b_terms, c_terms))
        for r in rates:
            terms = {s.var(("a", leaf)): 1.0 for leaf in leaves_below[r["org_code"]]}
            if r["status"] == "ok":
                s.eq(terms, float(r["answered"]))
            elif use_status and r["status"] == "primary":
                s.le(terms, min_cell - 1)
            elif use_status:
                s.le({j: -1.0 for j in terms}, -min_cell)
        ranges = {}
        for key, b_terms, c_terms in suppressed:
            for what, terms in (("base", b_terms), ("count", c_terms)):
                if only is None or f"{k} {key} {what}" in only:
                    ranges[(key, what)] = s.solve_range(terms)
        for (key, what), (lo, hi) in ranges.items():
            if np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1:
                if abs(hi) < 1e-6 and implied_by_published_zero(*key, what):
                    continue      # a published 0 above it says as much: nobody to protect
                if abs(hi) < 1e-6 and (k, key[1], key[2]) in empty_groups:
                    continue      # nobody in the group anywhere in the wave: nothing to protect
                pinned.append(f"{k} {key} {what} pinned to [{lo:.3f}, {hi:.3f}]")
    # the response counts themselves
    s = System()
    for leaf in leaves:
        s.var(("a", leaf))
    hidden = []
    for r in rates:
        terms = {s.var(("a", leaf)): 1.0 for leaf in leaves_below[r["org_code"]]}
        if r["status"] == "ok":
            s.eq(terms, float(r["answered"]))
        else:
            if use_status:
                s.le(terms, min_cell - 1) if r["status"] == "primary" else s.le({j: -1.0 for j in terms}, -min_cell)
            hidden.append((r["org_code"], terms))
    for code, terms in hidden:
        lo, hi = s.solve_range(terms)
        if np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1:
            pinned.append(f"answered at {code} pinned to [{lo:.3f}, {hi:.3f}]")
    return pinned


def cell_of(description: str) -> str:
    """The cell an `attack` description names (without the interval found)."""
    return description.split(" pinned to ")[0]
