"""Generic disclosure-control engine: non-negative cells linked by additive relations.

Model. Cells 0..n-1 each hold a value (for a release: a base) and optionally a second
value `counts` with 0 <= count <= value (the numerator); both share one suppression
pattern. A relation says total = sum(parts); it is stored as member rows
(relation, cell, coef) with coef +1 for the total and -1 for each part. An attacker knows
every published value and every relation, and that every value is >= 0.

`protect()` takes the primary pattern and then
1. the cheap secondary pass (vectorised): while some relation holds exactly one suppressed
   cell, suppress its cheapest other member (lowest `cost`; `forbidden` cells never);
2. the exact audit per connected block (`audit_blocks` in survey.disclosure.exact): a
   suppressed cell fails if it is determined (its unit row lies in the row space of the
   block's equations: SVD null-space test) or if its LP interval (HiGHS) is narrower than
   the required width; the required width is `protection`, capped by the smallest
   published total that contains the cell (a part can never exceed a published total);
3. for each failing cell, one further suppression among the published members of its
   relations (cheapest non-zero), then back to 1 on the blocks that changed.
Suppressions only ever grow (`previous` is kept), so the result is monotone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from survey.disclosure.relations import Relations, relation_counts
from survey.disclosure.status import OK, PRIMARY, SECONDARY



@dataclass
class AuditReport:
    cells_checked: int = 0          # suppressed cells examined by the exact audit
    suppressed: int = 0             # suppressed cells at the end
    primary: int = 0
    secondary: int = 0
    blocks: int = 0                 # connected blocks audited (last round counts each once)
    largest_block: int = 0
    lp_solved: int = 0
    rounds: int = 0
    added_by_audit: int = 0         # suppressions added because a cell failed the audit
    added_by_slack: int = 0         # suppressions added by the remainder (zeros) pass
    capped: int = 0                 # cells whose required width was capped by a published total
    failures: list = field(default_factory=list)   # must be empty for a release
    method: str = "lp"              # "lp" (generic engine) or "certificates" (a release's grid)
    certified: int = 0              # suppressed cells proven safe by an explicit move
    unprotected: int = 0            # suppressed cells left without proof (failures, uncapped)
    lp_checked: int = 0             # cells the certificates left to linear programming
    # tables left out of a release because a cell of theirs could not be proven safe:
    # [{"indicators": [...], "dimension": ..., "cells": n}] (survey.analysis.release)
    withheld: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["failures"] = list(self.failures)[:50]
        d["passed"] = self.passed
        return d


@dataclass
class Protection:
    status: np.ndarray              # OK / PRIMARY / SECONDARY per cell
    audit: AuditReport

    @property
    def suppressed(self) -> np.ndarray:
        return self.status != OK


def cheap_pass(rel: Relations, status: np.ndarray, cost: np.ndarray, forbidden: np.ndarray,
               max_rounds: int = 1000) -> np.ndarray:
    """Suppress until no relation holds exactly one suppressed member. Returns the relations
    left with exactly one (no eligible member to add: a failure for the caller to report).
    Within a round each offending relation adds its cheapest eligible member; between equally
    cheap members, one shared by several offending relations (it closes them at once)."""
    stuck = np.zeros(0, dtype=np.int64)
    for _ in range(max_rounds):
        sup = status != OK
        nsup = relation_counts(rel, sup)
        single = nsup == 1
        if not single.any():
            return np.zeros(0, dtype=np.int64)
        m = single[rel.rel] & ~sup[rel.cell] & ~forbidden[rel.cell]
        r, c = rel.rel[m], rel.cell[m]
        if len(r) == 0:
            return np.flatnonzero(single)
        # how many offending relations each candidate closes
        hits = np.bincount(c, minlength=len(status))[c]
        order = np.lexsort((c, -hits, cost[c], r))
        r, c = r[order], c[order]
        first = np.r_[True, r[1:] != r[:-1]]
        status[c[first]] = SECONDARY
        stuck = np.setdiff1d(np.flatnonzero(single), r[first])
        if len(stuck) and not first.any():
            return stuck
    return stuck


def containing_caps(values: np.ndarray, rel: Relations, published: np.ndarray,
                    initial: np.ndarray | None = None) -> np.ndarray:
    """For each cell, the smallest published value of a total that contains it (directly or
    through unpublished totals, whose own bound may start from `initial`); +inf when none.
    A part can never exceed it."""
    n = len(values)
    cap = np.full(n, np.inf) if initial is None else np.asarray(initial, float).copy()
    tot_rows = rel.coef > 0
    # per relation, its total cell (if any)
    tot_of_rel = np.full(rel.n_rel, -1, dtype=np.int64)
    tot_of_rel[rel.rel[tot_rows]] = rel.cell[tot_rows]
    parts = ~tot_rows & (tot_of_rel[rel.rel] >= 0)
    p_cell, t_cell = rel.cell[parts], tot_of_rel[rel.rel[parts]]
    for _ in range(64):
        eff = np.where(published, values, cap)
        new = cap.copy()
        np.minimum.at(new, p_cell, eff[t_cell])
        if np.array_equal(new, cap):
            break
        cap = new
    return cap


def slack_pass(rel: Relations, status: np.ndarray, values, counts, cost, forbidden,
               req_x: np.ndarray, req_y, max_rounds: int = 200) -> int:
    """Necessary condition, vectorised: in a relation whose total is published, the suppressed
    members share a known remainder (total minus published parts); no suppressed member can
    move further than that remainder. Where the remainder of the values (or of the counts)
    is below a member's required width -- e.g. two suppressed zeros that can only trade
    with each other -- suppress the cheapest published part whose value (count) is
    non-zero, and close any relation this leaves with a single suppressed cell.
    Returns the number of cells added."""
    added = 0
    is_total = rel.coef > 0
    for _ in range(max_rounds):
        sup = status != OK
        tot_pub = np.zeros(rel.n_rel, bool)
        tot_pub[rel.rel[is_total & ~sup[rel.cell]]] = True
        nsup = relation_counts(rel, sup)
        live = tot_pub & (nsup >= 1)
        pub = ~sup[rel.cell]
        new_cells = []
        for q, req in ((values, req_x), (counts, req_y)):
            if q is None:
                continue
            rem = np.bincount(rel.rel, weights=np.where(pub, rel.coef * q[rel.cell], 0.0), minlength=rel.n_rel)
            # widest requirement among the suppressed parts of each relation
            need = np.zeros(rel.n_rel)
            m = sup[rel.cell] & ~is_total
            np.maximum.at(need, rel.rel[m], req[rel.cell[m]])
            weak = live & (rem < need - 1e-9)
            if not weak.any():
                continue
            cand = weak[rel.rel] & pub & ~is_total & ~forbidden[rel.cell] & (q[rel.cell] > 0)
            r, c = rel.rel[cand], rel.cell[cand]
            if len(r) == 0:
                continue
            order = np.lexsort((c, cost[c], r))
            r, c = r[order], c[order]
            first = np.r_[True, r[1:] != r[:-1]]
            new_cells.append(c[first])
        if not new_cells:
            break
        new = np.unique(np.concatenate(new_cells))
        new = new[status[new] == OK]
        if len(new) == 0:
            break
        status[new] = SECONDARY
        added += len(new)
        cheap_pass(rel, status, cost, forbidden)
    return added


def forced_remainders(q, rel: Relations, sup: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    """Per cell, the smallest known remainder of a relation whose total is published and
    whose published members can never be suppressed (organisation totals): the suppressed
    parts of such a relation can never share more than that, whatever else is suppressed."""
    out = np.full(len(q), np.inf)
    if blocked is None or not blocked.any():
        return out
    is_total = rel.coef > 0
    pub = ~sup[rel.cell]
    tot_pub = np.zeros(rel.n_rel, bool)
    tot_pub[rel.rel[is_total & pub]] = True
    free_pub = np.bincount(rel.rel, weights=(pub & ~blocked[rel.cell]).astype(float), minlength=rel.n_rel)
    forced = tot_pub & (free_pub == 0) & (relation_counts(rel, sup) > 0)
    rem = np.bincount(rel.rel, weights=np.where(pub, rel.coef * q[rel.cell], 0.0), minlength=rel.n_rel)
    m = forced[rel.rel] & ~pub & ~is_total
    np.minimum.at(out, rel.cell[m], rem[rel.rel[m]])
    return out


def required_widths(values, counts, rel: Relations, status: np.ndarray, protection: float,
                    blocked: np.ndarray | None = None):
    """Width each suppressed value's LP interval must reach.

    A primary cell with a non-zero value (sensitive): the protection level, for the value
    and for the count. A secondary cell (publishable on its own, suppressed only to shield
    others) and an empty primary cell (value 0): 1, i.e. never pinned, bounds included; an
    empty cell's count (necessarily 0) has no requirement of its own. All capped by the
    smallest published total containing the cell, since no part can exceed it (a part of a
    published zero is zero: nothing left to protect), and by the remainder of a relation
    whose published members are all organisation totals (never below 1)."""
    sup = status != OK
    values = np.asarray(values, dtype=np.float64)
    sensitive = (status == PRIMARY) & (values > 0)
    level = np.where(sensitive, float(protection), min(1.0, float(protection)))
    cap_x = containing_caps(values, rel, ~sup)
    # a remainder fixed by totals that may never be suppressed (and everything inside it)
    # lowers the bar to that remainder, but never below "not pinned": a fixed remainder of 0
    # is repaired instead
    fx = containing_caps(values, rel, ~sup, forced_remainders(values, rel, sup, blocked))
    req_x = np.minimum(np.minimum(level, cap_x), np.maximum(fx, 1.0))
    if counts is None:
        return req_x, None
    counts = np.asarray(counts, float)
    fy = containing_caps(counts, rel, ~sup, forced_remainders(counts, rel, sup, blocked))
    fy = np.minimum(fy, fx)
    # a count never exceeds its own base's cap either
    req_y = np.minimum(np.minimum(level, np.minimum(containing_caps(counts, rel, ~sup), cap_x)),
                       np.maximum(fy, 1.0))
    req_y = np.where(values > 0, req_y, 0.0)     # an empty group's count says nothing more
    return req_x, req_y


def protect(values, relations: Relations, primary, *, counts=None, forbidden=None, reluctant=None,
            cost=None, previous=None, protection: float = 2.0, max_rounds: int = 50) -> Protection:
    """Disclosure control over a table of non-negative cells with additive relations.

    values: (n,) non-negative numbers (e.g. bases); counts: optional (n,) with
    0 <= counts <= values, suppressed together with values; primary: (n,) bool, the
    primary pattern; forbidden: (n,) bool, cells never chosen as secondary suppressions;
    cost: (n,) preference for secondary suppression (lower first; default: the value,
    zero values last); previous: (n,) bool, cells suppressed in an earlier release (kept);
    protection: required width of every suppressed value's feasible interval.
    Returns Protection(status, audit); audit.failures lists any cell left unprotected."""
    from survey.disclosure.exact import audit_blocks

    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    counts = None if counts is None else np.asarray(counts, dtype=np.float64)
    relations.check(values, n, "values")
    if counts is not None:
        relations.check(counts, n, "counts")
        if (counts < 0).any() or (counts > values + 1e-9).any():
            raise ValueError("counts must satisfy 0 <= count <= value in every cell")
    if (values < 0).any():
        raise ValueError("values must be non-negative")
    forbidden = np.zeros(n, bool) if forbidden is None else np.asarray(forbidden, bool)
    reluctant = np.zeros(n, bool) if reluctant is None else np.asarray(reluctant, bool)
    blocked = forbidden | reluctant
    if cost is None:
        cost = np.where(values > 0, values, values.max(initial=0) * 10 + 1e6)
    cost = np.asarray(cost, dtype=np.float64) + np.where(reluctant, 1e15, 0.0)
    status = np.where(np.asarray(primary, bool), PRIMARY, OK).astype(np.int8)
    if previous is not None:
        status[(np.asarray(previous, bool)) & (status == OK)] = SECONDARY
    report = AuditReport()
    dirty = status != OK
    for rnd in range(1, max_rounds + 1):
        report.rounds = rnd
        before = status != OK
        stuck = cheap_pass(relations, status, cost, forbidden)
        if rnd == 1:
            req_x, req_y = required_widths(values, counts, relations, status, protection, blocked)
            report.added_by_slack = slack_pass(relations, status, values, counts, cost, blocked, req_x, req_y)
            stuck = cheap_pass(relations, status, cost, forbidden)
        if len(stuck):
            report.failures = [{"cell": int(c), "reason": "only suppressed cell of a relation with no eligible partner"}
                               for c in _single_cells(relations, status, stuck)]
            break
        dirty |= (status != OK) & ~before
        req_x, req_y = required_widths(values, counts, relations, status, protection, blocked)
        failing, stats = audit_blocks(values, counts, relations, status != OK, dirty, req_x, req_y)
        report.blocks += stats["blocks"]
        report.cells_checked += stats["cells"]
        report.lp_solved += stats["lp"]
        report.capped += stats["capped"]
        report.largest_block = max(report.largest_block, stats["largest"])
        if len(failing) == 0:
            report.failures = []
            break
        before = status != OK
        added = _fix(relations, status, values, counts, cost, blocked, failing)
        if added == 0:      # last resort: an organisation total (never a forbidden cell)
            added = _fix(relations, status, values, counts, cost, forbidden, failing)
        report.added_by_audit += added
        if added == 0:
            report.failures = [{"cell": int(c), "reason": "interval too narrow and no cell left to suppress"}
                               for c in failing]
            break
        dirty = (status != OK) & ~before
    else:
        report.failures = [{"cell": -1, "reason": f"no convergence after {max_rounds} rounds"}]
    report.suppressed = int((status != OK).sum())
    report.primary = int((status == PRIMARY).sum())
    report.secondary = int((status == SECONDARY).sum())
    return Protection(status, report)


def _single_cells(rel: Relations, status: np.ndarray, rels: np.ndarray) -> np.ndarray:
    m = np.isin(rel.rel, rels) & (status[rel.cell] != OK)
    return np.unique(rel.cell[m])


def _fix(rel: Relations, status, values, counts, cost, blocked, failing: np.ndarray) -> int:
    """For each failing cell, suppress one more published cell: the cheapest non-zero one
    (non-zero count preferred when counts are given) among the members of its relations, or,
    when those have none, of the relations one, two... hops away through suppressed cells.
    This gives the failing cell a further cycle through cells that can move."""
    sup = status != OK
    key = cost + np.where(values > 0, 0, 1e12)
    if counts is not None:
        key = key + np.where(counts > 0, 0, 1e9)
    eligible = ~sup & ~blocked
    order = np.argsort(rel.cell, kind="stable")
    starts = np.searchsorted(rel.cell[order], np.arange(len(status) + 1))
    rel_start = np.searchsorted(rel.rel, np.arange(rel.n_rel + 1)) if _sorted(rel.rel) else None
    if rel_start is None:
        r_order = np.argsort(rel.rel, kind="stable")
        rel_start = np.searchsorted(rel.rel[r_order], np.arange(rel.n_rel + 1))
    else:
        r_order = np.arange(len(rel.rel))
    chosen = set()
    for f in failing:
        frontier = np.array([f])
        seen_rel = np.zeros(0, dtype=np.int64)
        for _hop in range(6):
            rows = np.concatenate([order[starts[c]:starts[c + 1]] for c in frontier])
            rels = np.setdiff1d(np.unique(rel.rel[rows]), seen_rel)
            if len(rels) == 0:
                break
            seen_rel = np.union1d(seen_rel, rels)
            mem = np.concatenate([rel.cell[r_order[rel_start[r]:rel_start[r + 1]]] for r in rels])
            cand = mem[eligible[mem]]
            if len(cand):
                best = int(cand[np.argmin(key[cand])])
                if key[best] < 1e12:
                    chosen.add(best)
                    break
            frontier = np.unique(mem[sup[mem]])
    new = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
    status[new] = SECONDARY
    return len(new)


def _sorted(a: np.ndarray) -> bool:
    return len(a) < 2 or bool((a[1:] >= a[:-1]).all())


def audit(values, relations: Relations, suppressed, *, counts=None, primary=None,
          protection: float = 2.0) -> AuditReport:
    """Audit a given pattern without changing it: failures lists every suppressed cell that is
    determined or whose interval is narrower than required (see required_widths; without
    `primary`, every suppressed cell is held to the protection level)."""
    from survey.disclosure.exact import audit_blocks

    values = np.asarray(values, dtype=np.float64)
    counts = None if counts is None else np.asarray(counts, dtype=np.float64)
    sup = np.asarray(suppressed, bool)
    report = AuditReport(rounds=1)
    nsup = relation_counts(relations, sup)
    singles = _single_cells(relations, sup.astype(np.int8), np.flatnonzero(nsup == 1))
    status = np.where(np.asarray(primary, bool) if primary is not None else sup, PRIMARY, SECONDARY)
    status = np.where(sup, status, OK).astype(np.int8)
    req_x, req_y = required_widths(values, counts, relations, status, protection)
    failing, stats = audit_blocks(values, counts, relations, sup, sup.copy(), req_x, req_y)
    report.blocks, report.cells_checked, report.lp_solved = stats["blocks"], stats["cells"], stats["lp"]
    report.largest_block, report.capped = stats["largest"], stats["capped"]
    report.failures = [{"cell": int(c), "reason": "determined or interval too narrow"}
                       for c in np.union1d(failing, singles)]
    report.suppressed = int(sup.sum())
    return report
