"""An outsider's attack on a release: every downloadable number, every relation the shipped
definitions imply (tests.support.definitions), linear and integer programming.

Written apart from the engine (survey.analysis): it reads only what a user downloads
(`indicators.csv`, `response_rates.csv`), the public organisation hierarchy, the published rule
(groups under N are "primary", "secondary" ones hold at least N) and the YAML definitions.

Unknowns: per leaf organisation, per set of respondents (each canonical indicator's numerator
and its complement, base less numerator, and everyone who answered), per characteristic column,
per atom of that column's codes: how many respondents. A leaf's set size is one more unknown,
the same whichever column splits it. Everything published is a sum of these:
an organisation's cell sums its leaves, a group sums its atoms, a base is numerator plus
complement; the whole group ("all") is the set size. Relations between sets hold per atom
(a set inside another has at most as many; a set inside the union of two at most their sum;
two disjoint sets inside a third at most its number); a set with nobody in an atom by
definition has 0 there.

`Attack.ranges` gives each hidden number's feasible interval: a few random objectives first
(each optimum is a feasible point, so the spread of the points is a proven lower bound on
every interval), then an exact minimum and maximum for what is still narrower than asked, and,
with `integer=True`, integer programs for the intervals a linear programme leaves narrow
(integrality can only narrow an interval).
"""
from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from tests.support.definitions import ANSWERED, Definitions

INF = highspy.kHighsInf


@dataclass
class Hidden:
    """The hidden numbers: one row per (indicator, org, dimension, group, what)."""
    frame: pd.DataFrame          # indicator, org_code, org_level, dimension, group, status, what
    objectives: sparse.csr_matrix


class Model:
    """The linear system: rows of (terms, lower, upper) over named unknowns."""

    def __init__(self):
        self.index: dict = {}
        self.rows: list = []
        self.lower: list = []
        self.upper: list = []

    def var(self, key) -> int:
        j = self.index.get(key)
        if j is None:
            j = self.index[key] = len(self.index)
        return j

    def add(self, terms: dict, lo: float, hi: float):
        self.rows.append(terms)
        self.lower.append(lo)
        self.upper.append(hi)

    def matrix(self) -> sparse.csc_matrix:
        r, c, v = [], [], []
        for i, terms in enumerate(self.rows):
            for j, a in terms.items():
                r.append(i); c.append(j); v.append(a)
        return sparse.csc_matrix((v, (r, c)), shape=(len(self.rows), len(self.index)))


class Attack:
    def __init__(self, defs: Definitions, cells: pd.DataFrame, rates: pd.DataFrame | None,
                 parent: dict[str, str | None], min_cell: int, *, use_status: bool = True,
                 inherent: bool = False, relations: bool = True, columns: set | None = None):
        """cells: indicators.csv as read; rates: response_rates.csv (or None); parent: code ->
        parent code for every organisation (None at the top). inherent: know only what no
        release can withhold (published organisation totals, answers, every cell's size
        class) - what that pins, no suppression could have shielded. relations: use the
        relations between sets and the respondents (off: each indicator on its own, as the
        engine's model did before). columns: only these answer columns split the sets (the
        cells given must then be of characteristics over them, or "all")."""
        self.defs = defs
        self._args = (defs, cells, rates, parent, min_cell)
        self._options = {"use_status": use_status, "relations": relations, "columns": columns}
        self.m = m = Model()
        cells = cells.copy()
        cells["canon"] = cells["indicator"].map(defs.canon)
        children: dict[str, list] = {}
        for c, p in parent.items():
            if p is not None:
                children.setdefault(p, []).append(c)
        leaves = sorted(c for c in parent if c not in children)
        below: dict[str, list] = {}
        for leaf in leaves:
            node = leaf
            while node is not None:
                below.setdefault(node, []).append(leaf)
                node = parent.get(node)
        below["ALL"] = leaves
        self.below = below
        canon_ids = sorted(set(cells["canon"]))
        sets = [ANSWERED] + [f"{k}:{w}" for k in canon_ids for w in ("num", "comp")]
        columns = {ch.column for ch in defs.characteristics.values() if ch.column} & set(columns or defs.atoms)
        # a cell: (leaf, set, column, atom); a set's size at a leaf: (leaf, set)
        for leaf in leaves:
            for s in sets:
                size = m.var((leaf, s))
                for col in sorted(columns):
                    atoms = range(len(defs.atoms[col]))
                    terms = {m.var((leaf, s, col, a)): 1.0 for a in atoms}
                    terms[size] = -1.0
                    m.add(terms, 0, 0)
                    for a in atoms:
                        if (s, col, a) in defs.empty or _base_of(s) and (_base_of(s), col, a) in defs.empty:
                            m.add({m.var((leaf, s, col, a)): 1.0}, 0, 0)
        self.leaves, self.sets, self.columns = leaves, sets, sorted(columns)
        if relations:
            self._relations(canon_ids)
        # the published numbers
        known_rows = []
        hidden = []
        for r in cells.itertuples(index=False):
            org, dim, grp, k = str(r.org_code), str(r.dimension), str(r.group), r.canon
            if inherent and not (dim == "all" and r.status == "ok"):
                if r.status == "primary":
                    m.add(self.terms(org, k, dim, grp, "base"), 0, min_cell - 1)
                else:
                    m.add(self.terms(org, k, dim, grp, "base"), min_cell, INF)
                if r.status != "ok":
                    hidden.append(r)
                continue
            if r.status == "ok":
                base, count = float(r.base), float(r.count)
                m.add(self.terms(org, k, dim, grp, "base"), base, base)
                m.add(self.terms(org, k, dim, grp, "count"), count, count)
                known_rows.append(r)
                continue
            if use_status:
                if r.status == "primary":
                    m.add(self.terms(org, k, dim, grp, "base"), 0, min_cell - 1)
                else:
                    m.add(self.terms(org, k, dim, grp, "base"), min_cell, INF)
            hidden.append(r)
        if rates is not None:
            for r in rates.itertuples(index=False):
                terms = {m.var((leaf, ANSWERED)): 1.0 for leaf in below[str(r.org_code)]}
                if r.status == "ok":
                    m.add(terms, float(r.answered), float(r.answered))
                elif use_status and r.status == "primary":
                    m.add(terms, 0, min_cell - 1)
                elif use_status:
                    m.add(terms, min_cell, INF)
        # each hidden number once (an alias of the same definition is the same number)
        frame = pd.DataFrame([r._asdict() for r in hidden])
        if len(frame):
            frame = frame.drop_duplicates(["canon", "org_code", "dimension", "group"])
            frame = frame.loc[:, ["indicator", "canon", "org_code", "org_level", "dimension", "group", "status"]]
            frame = frame.loc[frame.index.repeat(3)].reset_index(drop=True)
            frame["what"] = np.tile(["base", "count", "complement"], len(frame) // 3)
        else:
            frame = pd.DataFrame(columns=["indicator", "canon", "org_code", "org_level", "dimension", "group",
                                          "status", "what"])
        self.hidden = frame
        self._solver = None

    def terms(self, org: str, k: str, dim: str, group: str, what: str) -> dict:
        """A published number as a sum of unknowns."""
        parts = {"base": (("num", 1.0), ("comp", 1.0)), "count": (("num", 1.0),),
                 "complement": (("comp", 1.0),)}[what]
        out: dict = {}
        ch = self.defs.characteristics[dim]
        for leaf in self.below[org]:
            for w, sign in parts:
                s = f"{k}:{w}"
                if ch.column is None:
                    keys = [(leaf, s)]
                else:
                    keys = [(leaf, s, ch.column, a) for a in ch.groups[group]]
                for key in keys:
                    j = self.m.var(key)
                    out[j] = out.get(j, 0.0) + sign
        return out

    def _relations(self, canon_ids):
        m, defs = self.m, self.defs
        live = set(self.sets)

        def expr(s, leaf, col, a):
            """A set's cell as terms: a base is numerator plus complement."""
            names = [f"{s[:-5]}:num", f"{s[:-5]}:comp"] if s.endswith(":base") else [s]
            key = (lambda n: (leaf, n)) if col is None else (lambda n: (leaf, n, col, a))
            return {m.var(key(n)): 1.0 for n in names}

        def usable(*names):
            return all((n[:-5] + ":num" if n.endswith(":base") else n) in live for n in names)

        def trivial(a, b, c):
            # base <= num + comp, num + comp <= base: the model's own definition of a base
            k = a.split(":")[0]
            return {a, b, c} == {f"{k}:base", f"{k}:num", f"{k}:comp"}

        cells = [(leaf, col, a) for leaf in self.leaves for col in self.columns
                 for a in range(len(defs.atoms[col]))] + [(leaf, None, None) for leaf in self.leaves]
        def at_most(plus, minus):
            """Per cell: the sum of the `plus` sets is at most the sum of the `minus` sets."""
            for leaf, col, a in cells:
                terms: dict = {}
                for names, sign in ((plus, 1.0), (minus, -1.0)):
                    for name in names:
                        for j, v in expr(name, leaf, col, a).items():
                            terms[j] = terms.get(j, 0.0) + sign * v
                m.add(terms, -INF, 0)

        for a_, b_ in defs.subset:                 # a inside b
            if usable(a_, b_) and not trivial(a_, b_, b_):
                at_most([a_], [b_])
        for a_, b_, c_ in defs.union:              # a inside b or c
            if usable(a_, b_, c_) and not trivial(a_, b_, c_):
                at_most([a_], [b_, c_])
        for a_, b_, w_ in defs.disjoint:           # a and b apart, both inside w
            if usable(a_, b_, w_) and not trivial(a_, b_, w_):
                at_most([a_, b_], [w_])

    # ---- solving ----------------------------------------------------------------------------

    def _highs(self, integer: bool = False) -> highspy.Highs:
        A = self.m.matrix()
        n = A.shape[1]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, A.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, INF)
        lp.row_lower_ = np.asarray(self.m.lower, float)
        lp.row_upper_ = np.asarray(self.m.upper, float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, A.shape[0]
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        return h

    def _objective(self, row) -> np.ndarray:
        c = np.zeros(len(self.m.index))
        for j, v in self.terms(row.org_code, row.canon, row.dimension, row.group, row.what).items():
            c[j] += v
        return c

    def _optimum(self, h, c, sign) -> tuple[float, np.ndarray | None]:
        n = len(c)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), sign * c)
        h.run()
        st = h.getModelStatus()
        if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return sign * -np.inf, None
        assert st == highspy.HighsModelStatus.kOptimal, f"attacker's programme: {h.modelStatusToString(st)}"
        return sign * h.getInfo().objective_function_value, np.asarray(h.getSolution().col_value)

    def ranges(self, need: pd.Series | None = None, *, samples: int = 12, integer: bool = False,
               seed: int = 0, batches: int = 0, rows=None) -> pd.DataFrame:
        """self.hidden with lo and hi: each hidden number's feasible interval, exact where it is
        narrower than `need` (per row; default: everything exact), else a proven lower bound
        (`hi - lo` at least `need`). `batches`: that many objectives over the numbers still
        short, before the exact ones. `rows`: only these rows of self.hidden."""
        out = self.hidden.copy() if rows is None else self.hidden.loc[rows].copy()
        if not len(out):
            out["lo"] = out["hi"] = []
            return out
        need = pd.Series(np.inf, index=out.index) if need is None else need.reindex(out.index).fillna(0)
        C = sparse.vstack([sparse.csr_matrix(self._objective(r)) for r in out.itertuples(index=False)]).tocsr()
        h = self._highs()
        rng = np.random.default_rng(seed)
        lo = np.full(len(out), np.inf)
        hi = np.full(len(out), -np.inf)
        n = C.shape[1]
        for _ in range(samples):
            _, x = self._optimum(h, rng.normal(size=n), 1.0)
            if x is None:
                continue
            v = C @ x
            lo, hi = np.minimum(lo, v), np.maximum(hi, v)
        # then objectives aimed at what is still short: random signs over those numbers
        # together, so one solve can widen many of them at once
        for _ in range(batches):
            short = np.flatnonzero(~(hi - lo >= need.to_numpy() - 1e-9))
            if len(short) < 8:
                break
            w = sparse.csr_matrix((rng.choice([-1.0, 1.0], size=len(short)), (np.zeros(len(short), int), short)),
                                  shape=(1, len(out)))
            _, x = self._optimum(h, np.asarray((w @ C).todense()).ravel(), 1.0)
            if x is not None:
                v = C @ x
                lo, hi = np.minimum(lo, v), np.maximum(hi, v)
        exact = np.zeros(len(out), bool)
        for i in np.flatnonzero(~(hi - lo >= need.to_numpy() - 1e-9)):
            c = C[i].toarray().ravel()
            lo[i] = self._optimum(h, c, 1.0)[0]
            hi[i] = self._optimum(h, c, -1.0)[0]
            exact[i] = True
        if integer:
            narrow = np.flatnonzero(exact & (hi - lo < need.to_numpy() + 2))
            if len(narrow):
                hm = self._highs(integer=True)
                for i in narrow:
                    c = C[i].toarray().ravel()
                    lo[i] = self._optimum(hm, c, 1.0)[0]
                    hi[i] = self._optimum(hm, c, -1.0)[0]
        out["lo"], out["hi"], out["exact"] = lo, hi, exact
        return out

    def pinned(self, need: pd.Series, *, rows=None, batches: int = 40,
               integer: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The one way every test and bench asks "what does the release give away?": each
        hidden number's interval (`ranges`), and those narrower than `need` that are also
        narrower than this attacker leaves them knowing only what no suppression can
        withhold (`inherent=True`: published totals and answers, every cell's size class):
        what the suppression pattern, not the data, lets slip. Returns (every interval
        worked out, the ones pinned)."""
        got = self.ranges(need, batches=batches, rows=rows, integer=integer)
        short = got[(got["hi"] - got["lo"]) < need.reindex(got.index).to_numpy() - 1e-6]
        if len(short):
            seen = Attack(*self._args, inherent=True, **self._options)
            wide = seen.ranges(need.loc[short.index], rows=short.index, batches=10)
            short = short[(short["hi"] - short["lo"]).to_numpy() < (wide["hi"] - wide["lo"]).to_numpy() - 1e-6]
        return got, short


def _base_of(s: str) -> str | None:
    """The base set a numerator or complement lies in (its emptiness carries over)."""
    k, _, w = s.partition(":")
    return f"{k}:base" if w in ("num", "comp") else None
