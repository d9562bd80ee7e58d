"""The tests' own LP solver for attackers: the feasible range of many objectives over one
system, {A_eq v = b_eq, A_ub v <= b_ub, 0 <= v <= upper}, with HiGHS kept warm between
objectives (scipy's linprog starts over each time, and the attacker tests spent nearly all
their time in those cold starts). Written apart from the engine's solvers."""
from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse


class Ranges:
    def __init__(self, n: int, A_eq=None, b_eq=(), A_ub=None, b_ub=(), upper: float | None = None):
        parts = [sparse.csr_matrix(A) for A in (A_eq, A_ub) if A is not None and A.shape[0]]
        A = sparse.vstack(parts, format="csc") if parts else sparse.csc_matrix((0, n))
        n_eq = 0 if A_eq is None else A_eq.shape[0]
        n_ub = 0 if A_ub is None else A_ub.shape[0]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, A.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf if upper is None else float(upper))
        lp.row_lower_ = np.r_[np.asarray(b_eq, float)[:n_eq], np.full(n_ub, -highspy.kHighsInf)]
        lp.row_upper_ = np.r_[np.asarray(b_eq, float)[:n_eq], np.asarray(b_ub, float)[:n_ub]]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, A.shape[0]
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        self.n = n
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("presolve", "off")          # a cold start: the dual simplex
        self.h.passModel(lp)

    def _minimum(self, c) -> float | None:
        """min c.v, or None when unbounded below."""
        h = self.h
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(c, float))
        h.run()
        h.setOptionValue("simplex_strategy", 4)           # then the primal, from the last basis
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.zeros(self.n))
            h.run()                                       # the truth is feasible: check that
            assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, "attacker LP infeasible"
            return None
        if st == highspy.HighsModelStatus.kUnbounded:
            return None
        assert st == highspy.HighsModelStatus.kOptimal, f"attacker LP failed: {h.modelStatusToString(st)}"
        return h.getInfo().objective_function_value

    def range(self, c) -> tuple[float, float]:
        """(min, max) of c.v over the system (infinite where unbounded)."""
        c = np.asarray(c, float)
        lo, hi = self._minimum(c), self._minimum(-c)
        return (-np.inf if lo is None else lo), (np.inf if hi is None else -hi)
