"""Step 5 of survey.disclosure.suppress: linear programming for the cells the certificates
leave unproven (survey.disclosure.lpcheck builds and solves each LP).

A cell's LP holds every cell outside a neighbourhood of it at its true value, first its
parent's subtree, then its grandparent's, then the whole neighbourhood up to the lowest
ancestor whose cells are all published: a smaller neighbourhood is a stronger attacker,
so a width it finds is a proof, and it solves much faster. Cells whose neighbourhoods
share a top share one LP; the LPs run on a thread per core.
"""
from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from survey.disclosure import lpcheck
from survey.disclosure.certify import Bounds, requirements
from survey.disclosure.status import OK
from survey.disclosure.grid import Grid

log = logging.getLogger(__name__)

_NONE = np.full(3, -1, np.int64)     # no proof yet
# Levels the first, cheap LPs of a cell climb: its parent's subtree, then its
# grandparent's; what they leave short gets the whole neighbourhood. A smaller neighbourhood
# holds more at the true values (a stronger attacker, so still a proof) and solves much
# faster: at national scale the parent's LPs prove 82% of WDES 8's cells, and the
# protection took 138 s instead of 207 s with the same result.
LOCAL_CLIMBS = (1, 2)
# The widest LP attempted. Past it a cell counts as unproven and the escalation frees the
# columns above it instead: on the 50,000-response region the widest is 29,285 unknowns
# (a cold solve of its 58,570 columns takes 3 s); at national scale one is a whole table's
# 373,050 and did not finish in 10 minutes.
MAX_LP_UNKNOWNS = 100_000


def _on_threads(fn, jobs: list) -> list:
    """[fn(job) for job in jobs], on a thread per core when there is more than one job: the
    LP parts are independent, each has its own HiGHS instance, and HiGHS releases the GIL
    while it solves (two national LP parts at once took 0.56 of the time one after the
    other). The results come back in the jobs' order, so the release is the same."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        return [fn(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit-lp") as pool:
        return list(pool.map(fn, jobs))


def exact_check(grid: Grid, x, y, status, bounds: Bounds, p: int, cells, memo: dict | None = None,
                req_memo: dict | None = None, proven: dict | None = None) -> set:
    """The cells (node, column) that linear programming, too, finds pinned or too narrow.
    `memo` keeps each indicator's answer for its pattern and cells (an escalation that
    changed nothing of an indicator need not be solved again). `proven` keeps, per cell,
    the widths (base, count, complement) an LP has proven; a later call with more cells
    suppressed does not solve a cell again while it needs no more. That is sound because
    a proof holds every cell outside its unknowns at its true value: suppressing more only
    takes equations from the attacker (a cell keeps its status word once suppressed), so
    the proof's system is still a stronger attacker than the real one."""
    if not cells:
        return set()
    memo = {} if memo is None else memo
    proven = {} if proven is None else proven
    lay = grid.layout
    per = lay.per_ind
    req = requirements(grid, x, y, status, p, bounds.min_cell, bounds.count_rule, req_memo)
    rels = lpcheck.indicator_relations(grid)
    cells = np.array(sorted(cells), dtype=np.int64).reshape(-1, 2)
    bad = set()
    for k in np.unique(lay.col_ind[cells[:, 1]]):
        mine = cells[lay.col_ind[cells[:, 1]] == k]
        key = (int(k), status[:, k * per:(k + 1) * per].tobytes(), mine.tobytes())
        if key in memo:
            bad |= memo[key]
            continue
        local = mine[:, 1] - k * per
        # a total, or a group whose organisation total is suppressed too: everything below
        # the parent, every characteristic, totals free; any other group: its
        # characteristic below its grandparent, totals known
        coupled = (lay.col_dim[mine[:, 1]] == 0) | (status[mine[:, 0], k * per] != OK)
        dim = np.where(coupled, -1, lay.col_dim[mine[:, 1]])
        # nested characteristics (one answer column) are one system: their LPs take all of them
        family = {d: f for f in lay.families for d in f.dims}
        dim = np.array([family[d].dims[0] if d in family else d for d in dim.tolist()], np.int64)
        found = set()
        for d in np.unique(dim):
            sel = dim == d
            columns = (None if d < 0 else family[d].members() if d in family
                       else np.flatnonzero(lay.col_dim[:per] == d))
            nodes, cs = mine[sel, 0], mine[sel, 1]
            t = nodes * per + local[sel]
            need = np.stack([req.x[nodes, cs], req.y[nodes, cs], req.z[nodes, cs]], 1)
            had = np.array([(proven.get(c, _NONE) >= q).all() for c, q in zip(zip(nodes.tolist(), cs.tolist()), need)],
                           dtype=bool).reshape(-1)
            nodes, cs, t, need = nodes[~had], cs[~had], t[~had], need[~had]
            # first with the unknowns near each cell only (the rest held at their true values,
            # which only helps the attacker); what that leaves short, with the whole neighbourhood
            for climb in (*LOCAL_CLIMBS, None) if len(nodes) else ():
                t1 = time.perf_counter()
                # cells whose neighbourhoods share a top share one LP; apart, each is smaller
                top = lpcheck.neighbourhood_tops(grid, k, status, nodes, columns, climb)
                w = np.zeros((len(nodes), 3), np.int64)
                parts = np.split(np.argsort(top, kind="stable"), np.flatnonzero(np.diff(np.sort(top))) + 1)

                def solve(part, k=k, columns=columns, climb=climb, nodes=nodes, top=top, t=t, need=need):
                    unknown = lpcheck.subtree_unknowns(grid, k, status, nodes[part], columns=columns, climb=climb,
                                                       top=top[part])
                    n = int(unknown.sum())
                    if climb is None and n > MAX_LP_UNKNOWNS:
                        return None, n           # unproven: the escalation frees the columns above
                    return lpcheck.lp_widths(grid, k, x, y, status, bounds, unknown, t[part], p, rels,
                                             need=need[part]), n

                n_unknown = 0
                for part, (wp, n) in zip(parts, _on_threads(solve, parts)):
                    n_unknown += n
                    if wp is not None:
                        w[part] = wp
                short = (w[:, 0] < need[:, 0]) | (w[:, 1] < need[:, 1]) | (w[:, 2] < need[:, 2])
                for c, q in zip(zip(nodes[~short].tolist(), cs[~short].tolist()), need[~short]):
                    proven[c] = q
                log.debug("indicator %d characteristic %d climb %s: %d cells, %d unknowns, %d short (%.1f s)",
                          k, d, climb, len(t), n_unknown, int(short.sum()), time.perf_counter() - t1)
                nodes, cs, t, need = nodes[short], cs[short], t[short], need[short]
                if not short.any():
                    break
            found |= set(map(tuple, np.stack([nodes, cs], 1).tolist()))
        memo[key] = found
        bad |= found
    return bad
