"""HiGHS, the LP solver behind every audit, as the disclosure control uses it: quiet, one
system solved for many objectives, each solve going on from the last basis.

    model(A, col_lower, col_upper, row_lower, row_upper)   a quiet instance holding the system
    run(h)                                                  solve for the current costs, then warm
    warm(h)                                                 go on from the basis held (primal simplex)
"""
from __future__ import annotations

import os
import sys
import threading

import highspy
import numpy as np
from scipy import sparse

_BANNER_SHOWN = False
_BANNER_LOCK = threading.Lock()


def quiet() -> "highspy.Highs":
    """A HiGHS instance that prints nothing (its licence banner goes to the C stdout once),
    set for many objectives over one system (solve with `run`). The first, cold solve
    uses the dual simplex without presolve: on the 50,000-response benchmark's largest
    audit LP (58,570 columns) that took 3.3 s, against 41 s for the primal simplex and
    16 s for the dual after presolve. After it only the costs change, so the last basis
    is still primal feasible and the primal simplex goes on from it (the dual started
    over: on the 10,000-response benchmark the audit's LPs took 49 s with it and 13 s
    with the primal)."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        with _BANNER_LOCK:               # the audit solves on threads: one swap of stdout at a time
            if _BANNER_SHOWN:
                h = highspy.Highs()
            else:
                sys.stdout.flush()
                saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                try:
                    h = highspy.Highs()
                finally:
                    os.dup2(saved, 1)
                    os.close(devnull)
                    os.close(saved)
                _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("simplex_strategy", 1)      # dual simplex, for the cold start
    return h


def model(A, col_lower, col_upper, row_lower, row_upper) -> "highspy.Highs":
    """A quiet HiGHS instance (`quiet`) holding {row_lower <= A v <= row_upper,
    col_lower <= v <= col_upper} with zero costs; A is a scipy sparse matrix."""
    A = sparse.csc_matrix(A)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = np.zeros(A.shape[1])
    lp.col_lower_, lp.col_upper_ = np.asarray(col_lower, float), np.asarray(col_upper, float)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lower, float), np.asarray(row_upper, float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = quiet()
    h.passModel(lp)
    return h


def run(h: "highspy.Highs") -> None:
    """Solve for the current costs; every later solve goes on from the basis found, with
    the primal simplex (see `quiet`)."""
    h.run()
    warm(h)


def warm(h: "highspy.Highs") -> None:
    """From now on, go on from the basis HiGHS holds with the primal simplex: only the
    costs change between solves, so that basis stays primal feasible."""
    h.setOptionValue("simplex_strategy", 4)
    h.setOptionValue("presolve", "choose")
