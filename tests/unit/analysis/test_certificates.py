"""Certificates are proofs: how far the max-flow certificates (survey.disclosure.flows) say a
suppressed base, count or complement can be raised or lowered is never more than what an
independent exact attacker finds: linear programming over every published number, the
relations, 0 <= count <= base and the bounds the status words give away, with the
organisation totals free where they are suppressed (the certificates hold them fixed, which
can only narrow what they find).

Random trees, consistent random data and arbitrary suppression patterns (not only the
engine's), so the search is tested on patterns it would never produce as well."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from survey.disclosure import flows, lpcheck
from survey.disclosure.certify import Bounds, _sibling_leaf_pairs, m2_widths, requirements, rooms
from survey.disclosure.status import FIXED, OK, PRIMARY, SECONDARY
from survey.disclosure.grid import make_grid
from survey.analysis.layout import make_layout
from survey.disclosure.structure import org_tree
from survey.disclosure.groups import MAX_VISIT, _capacities
from survey.disclosure.lpaudit import exact_check
from survey.disclosure.suppress import row_pass
from tests.support.worlds import N, exact_intervals, patterns

def certified(grid, base, count, status, p=2):
    """(node, col) -> (3, 2) array: proven rise and fall of base, count and complement."""
    bounds = Bounds(N, False)
    out = {}
    for cols in grid.dim_cols:
        m = cols.shape[1]
        net = flows.network(grid, m)
        cc = cols[0]
        X, Y, S = base[:, cc].ravel(), count[:, cc].ravel(), status[:, cc].ravel()
        r, _, res, _ = _capacities(X, Y, S, bounds, p)
        arcs = np.flatnonzero(S != OK)
        w = flows.certify3(arcs, net.adj_start, net.adj_edge, net.tail, net.head, r, res, p, MAX_VISIT)
        for a, wa in zip(arcs, w):
            out[(a // m, cc[a % m])] = wa
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_claimed_moves_never_exceed_the_exact_intervals(small_dims, data):
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    claims = certified(grid, base, count, status)
    exact = exact_intervals(tree, layout, base, count, status)
    for (node, col), w in claims.items():
        values = (base[node, col], count[node, col], base[node, col] - count[node, col])
        for q in range(3):
            lo, hi = exact[(node, col)][q]
            assert values[q] + w[q, 0] <= hi + 1e-6, (node, col, q, "rise")
            assert values[q] - w[q, 1] >= lo - 1e-6, (node, col, q, "fall")


def test_a_rectangle_is_found_and_measured(small_dims):
    """Two practices, two suppressed groups each: the four cells form one rectangle, and a
    count of 0 can rise as far as the other counts can fall."""
    orgs = pd.DataFrame([("I1", "ICS", "ics", None), ("N0", "PCN", "pcn", "I1"),
                         ("P0", "p", "practice", "N0"), ("P1", "p", "practice", "N0")],
                        columns=["code", "name", "level", "parent_code"])
    tree = org_tree(orgs, ["P0", "P1"])
    layout = make_layout(["ind"], {k: small_dims[k] for k in ("all", "disability")})
    grid = make_grid(tree, layout)
    # columns: All, Disabled, Non-disabled, Not stated; rows: wave, ICS, PCN, P0, P1
    base = np.array([[24, 6, 18, 0]] * 3 + [[12, 3, 9, 0], [12, 3, 9, 0]], np.int64)
    count = np.array([[7, 3, 4, 0]] * 3 + [[3, 0, 3, 0], [4, 3, 1, 0]], np.int64)
    status = np.zeros(base.shape, np.int8)
    status[3:, 1:3] = [[PRIMARY, SECONDARY], [PRIMARY, SECONDARY]]
    w = certified(grid, base, count, status)
    # P0 Disabled: base 3 (primary: at most 4), count 0, complement 3. The base can rise to
    # 4 and fall to 2 (P1's Disabled then reaches its own bound of 4); the count can rise
    # (P1 gives its counts), not fall; the complement falls, but cannot rise (P1 has none)
    rise, fall = w[(3, 1)][:, 0], w[(3, 1)][:, 1]
    assert rise.tolist() == [1, 2, 0] and fall.tolist() == [1, 0, 2]
    exact = exact_intervals(tree, layout, base, count, status)[(3, 1)]
    assert exact == [(2.0, 4.0), (0.0, 3.0), (0.0, 3.0)]


def test_requirements_are_capped_by_what_is_published_and_the_group_size(small_dims):
    orgs = pd.DataFrame([("I1", "ICS", "ics", None), ("N0", "PCN", "pcn", "I1"),
                         ("P0", "p", "practice", "N0"), ("P1", "p", "practice", "N0")],
                        columns=["code", "name", "level", "parent_code"])
    tree = org_tree(orgs, ["P0", "P1"])
    layout = make_layout(["ind"], small_dims)
    grid = make_grid(tree, layout)
    # columns: All | White, BME, Not stated | Disabled, Non-disabled, Not stated
    leaf = np.array([3, 1, 1, 1, 1, 2, 0], np.int64)
    base = np.array([2 * leaf] * 3 + [leaf, leaf])          # wave, ICS, PCN, P0, P1
    count = np.zeros_like(base)
    status = np.full(base.shape, PRIMARY, np.int8)
    status[0] = OK                                           # the wave row is published, counts 0
    req = requirements(grid, base, count, status, 2, min_cell=N)
    assert (req.y[1:] == 0).all()                            # under a published total count of 0
    assert req.x[3, 1] == 2                                  # a group of one: the protection level...
    assert req.z[3, 1] == 1 and req.z[3, 5] == 2             # ...its complement no more than its size
    assert (req.x[:, 6] == 0).all()                          # nobody in the wave: nothing to protect
    # a published PCN total of 6 above two suppressed practice totals
    status[2, 0] = OK
    req = requirements(grid, base, count, status, 2, min_cell=N)
    assert req.x[3, 0] == 2
    # what a published cell would need once a repair suppresses it, capped the same way:
    # the PCN is the ICS's only child, and the ICS the wave's, under a published 6
    assert req.x[2, 0] == 0 and req.x_if[2, 0] == 0 and (req.y_if[1:] == 0).all()
    assert req.x_if[3, 0] == 2 and req.x_if[3, 1] == 2


def _pcn(small_dims, practices):
    rows = [("I1", "ICS", "ics", None), ("N0", "PCN", "pcn", "I1")]
    rows += [(p, p, "practice", "N0") for p in practices]
    tree = org_tree(pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"]), practices)
    return make_grid(tree, make_layout(["ind"], small_dims))


def test_requirements_ask_nothing_that_no_suppression_could_give(small_dims):
    """Organisation totals are never chosen for suppression and every cell's size class is
    public (under N: "primary"; at least N: published or "secondary"), so what those pin no
    suppression can shield: the requirement is capped there, and only there (N = 11)."""
    grid = _pcn(small_dims, ["P0", "P1"])
    # columns: All | White, BME, Not stated | Disabled, Non-disabled, Not stated
    p0 = np.array([11, 11, 0, 0, 0, 11, 0])      # all 11 White and non-disabled
    p1 = np.array([15, 12, 3, 0, 3, 12, 0])
    base = np.array([p0 + p1] * 3 + [p0, p1], np.int64)
    count = np.zeros_like(base)
    status = np.where(base < 11, PRIMARY, OK).astype(np.int8)
    req = requirements(grid, base, count, status, 2, min_cell=11)
    # P0's BME: All = 11 and White at least 11 whatever is suppressed, so it is 0 for sure
    assert req.x[3, 2] == 0 and req.x_if[3, 2] == 0
    # P1's BME: 15 less a White of at least 11 leaves it 0..4: fully protected
    assert req.x[4, 2] == 2
    # P1's White (as a secondary): 11..15, so it must still move
    assert req.x_if[4, 1] == 1
    # the PCN's White of 23 is a group: the engine may suppress it, so it caps nothing
    status[3, 1] = SECONDARY
    req = requirements(grid, base, count, status, 2, min_cell=11)
    assert req.x[3, 1] == 0                                  # but All = 11 pins P0's White
    status[3, 1] = OK

    # two practices under N whose PCN and published sibling leave them 20 between them:
    # each is at most 10, so both are 10 for sure; with 19 between them each is 9..10
    grid = _pcn(small_dims, ["P0", "P1", "P2"])
    for a, b, width in ((10, 10, 0), (10, 9, 1), (6, 5, 2)):
        row = lambda t: np.array([t, t, 0, 0, 0, t, 0])
        base = np.array([row(11 + a + b)] * 3 + [row(11), row(a), row(b)], np.int64)
        status = np.where(base < 11, PRIMARY, OK).astype(np.int8)
        req = requirements(grid, base, np.zeros_like(base), status, 2, min_cell=11)
        assert req.x[4, 0] == width and req.x[5, 0] == width


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_remembered_requirements_are_the_requirements(small_dims, data):
    """A memo kept across a growing pattern (as protect_grid keeps one) answers exactly as
    a fresh computation, whether a step suppressed groups only, organisation totals of one
    indicator (the memo then works out that indicator's columns again), or totals of all."""
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    # a second indicator over the same people (its count the first one's complement), so
    # that one indicator's columns can change while the other's stay
    layout = make_layout(["first", "second"], small_dims)
    base, count = np.hstack([base, base]), np.hstack([count, base - count])
    status = np.hstack([status, np.where((status == OK) & (base[:, :status.shape[1]] % 3 == 0), SECONDARY, status)])
    grid = make_grid(tree, layout)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    memo: dict = {}
    for _ in range(5):
        fresh = requirements(grid, base, count, status, 2, min_cell=N)
        kept = requirements(grid, base, count, status, 2, min_cell=N, memo=memo)
        for name in ("x", "y", "z", "x_if", "y_if", "z_if"):
            assert np.array_equal(getattr(fresh, name), getattr(kept, name)), name
        grow = (status == OK) & (rng.random(status.shape) < 0.2)
        step = data.draw(st.sampled_from(["groups", "first", "second", "all"]))
        if step != "all":
            grow[:, grid.all_cols] = False           # a round that suppressed groups only
        if step in ("first", "second"):
            k = 0 if step == "first" else 1
            grow[:, grid.all_cols[k]] = (status[:, grid.all_cols[k]] == OK) & (rng.random(grid.n) < 0.3)
        status = np.where(grow, SECONDARY, status).astype(np.int8)


def test_a_grid_of_some_indicators_has_their_columns(dimensions):
    """Grid.only: the indicators' columns in order, their All and group columns mapped."""
    orgs = pd.DataFrame([("I1", "ICS", "ics", None), ("N0", "PCN", "pcn", "I1"),
                         ("P0", "p", "practice", "N0"), ("P1", "p", "practice", "N0")],
                        columns=["code", "name", "level", "parent_code"])
    tree = org_tree(orgs, ["P0", "P1"])
    layout = make_layout(["a", "b", "c"], dimensions)
    grid = make_grid(tree, layout)
    sub, cols = grid.only([2, 0])
    per = layout.per_ind
    assert list(cols) == list(range(2 * per, 3 * per)) + list(range(per))
    assert sub.layout.indicators == ["c", "a"] and list(sub.all_cols) == [0, per]
    for whole, part in zip(grid.dim_cols, sub.dim_cols):
        assert np.array_equal(cols[part], whole[[2, 0]])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_the_lp_over_every_suppressed_cell_is_the_exact_attacker(small_dims, data):
    """lp_widths, with every suppressed cell unknown, finds exactly the widths of the
    independent attacker (capped at p): it reads only the unknowns' own relations, and a
    relation missed or a value misplaced would show as a wider (or narrower) interval."""
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    exact = exact_intervals(tree, layout, base, count, status)
    if not exact:
        return
    per = layout.per_ind
    cells = sorted(exact)
    unknown = (status != OK).ravel()
    targets = np.array([node * per + col for node, col in cells])
    got = lpcheck.lp_widths(grid, 0, base, count, status, Bounds(N, False), unknown, targets, 2)
    for (cell, ends), w in zip(((c, exact[c]) for c in cells), got):
        want = [min(2, int(np.floor(hi - lo + 1e-7))) for lo, hi in ends]
        assert list(w) == want, (cell, ends)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_lps_started_from_the_truth_reach_the_cold_optimum(data):
    """lp_widths starts each LP by crossover from the true values (lpcheck._start_at): from
    a true point the start takes (a valid basis), and the optimum from it is the optimum of
    a cold solve, as it is after a start from a point off the system."""
    from scipy import sparse
    from survey.disclosure import highs
    rows, cols = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    truth = np.array(data.draw(st.lists(st.integers(0, 9), min_size=rows * cols, max_size=rows * cols)), float)
    A = sparse.vstack([sparse.kron(sparse.identity(rows), np.ones((1, cols))),
                       sparse.kron(np.ones((1, rows)), sparse.identity(cols))]).tocsr()
    rhs = A @ truth
    cost = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=rows * cols, max_size=rows * cols)), float)
    ends = []
    for start in (None, truth, truth + data.draw(st.integers(1, 3))):
        h = highs.model(A, np.zeros(rows * cols), np.full(rows * cols, 12.0), rhs, rhs)
        if start is truth:
            assert lpcheck._start_at(h, start, A @ start) is not None and h.getBasis().valid
        elif start is not None:             # taken or not, the optimum must not change
            lpcheck._start_at(h, start, A @ start)
        h.changeColsCost(rows * cols, np.arange(rows * cols, dtype=np.int32), cost)
        highs.run(h)
        ends.append(h.getInfo().objective_function_value)
    assert ends[1] == pytest.approx(ends[0], abs=1e-6) and ends[2] == pytest.approx(ends[0], abs=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_a_proof_still_holds_once_more_is_suppressed(small_dims, data):
    """exact_check keeps the widths its LPs proved and does not solve a cell again while a
    later pattern (more suppressed) asks no more of it. The independent exact attacker
    checks both the proofs and that they survive the growth."""
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    cells = set(map(tuple, np.argwhere(status != OK).tolist()))
    proven: dict = {}
    exact_check(grid, base, count, status, Bounds(N, False), 2, cells, proven=proven)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    for pattern in (status, np.where((status == OK) & (rng.random(status.shape) < 0.3), SECONDARY, status)):
        req = requirements(grid, base, count, pattern, 2, min_cell=N)
        exact = exact_intervals(tree, layout, base, count, pattern)
        for (node, col), widths in proven.items():
            need = (req.x[node, col], req.y[node, col], req.z[node, col])
            if all(w >= q for w, q in zip(widths, need)):          # the proof would be taken
                for q in range(3):
                    lo, hi = exact[(node, col)][q]
                    assert hi - lo >= need[q] - 1e-6, (node, col, q)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_claimed_respondent_moves_never_exceed_the_exact_intervals(small_dims, data):
    """The M2 moves (a respondent from one practice to a sibling) that certify leaf totals,
    and groups too, claim no more than the independent exact attacker allows."""
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    widths = m2_widths(grid, base, count, status, Bounds(N, False), 2, _sibling_leaf_pairs(grid), groups=True)
    exact = exact_intervals(tree, layout, base, count, status)
    values = (base, count, base - count)
    for (node, col), ends in exact.items():
        for q in range(3):
            up, down = int(widths[q][0][node, col]), int(widths[q][1][node, col])
            lo, hi = ends[q]
            assert values[q][node, col] + up <= hi + 1e-6, (node, col, q, "rise")
            assert values[q][node, col] - down >= lo - 1e-6, (node, col, q, "fall")


def test_a_respondent_moving_between_practices_moves_their_groups(small_dims):
    """Two practices under N with a published PCN: someone can move from one to the other,
    taking a group of each characteristic along, so the groups they share move as well."""
    grid = _pcn(small_dims, ["P0", "P1"])
    # columns: All | White, BME, Not stated | Disabled, Non-disabled, Not stated
    p0 = np.array([4, 3, 1, 0, 1, 3, 0])
    p1 = np.array([3, 2, 1, 0, 0, 3, 0])
    base = np.array([p0 + p1] * 3 + [p0, p1], np.int64)
    count = np.zeros_like(base)
    status = np.where(base < N, PRIMARY, OK).astype(np.int8)
    pairs = _sibling_leaf_pairs(grid)
    (xu, xd), _, _ = m2_widths(grid, base, count, status, Bounds(N, False), 2, pairs, groups=True)
    # P0 (4, at most N-1 = 4) cannot take anyone; P1 (3) can take one from it
    assert xu[4, 0] == 1 and xd[3, 0] == 1 and xu[3, 0] == 0
    # with them goes their group of each characteristic, any that both practices suppress
    # and that P0 has someone in: White or BME, Disabled or Non-disabled
    assert xu[4, 1] == xu[4, 2] == xu[4, 4] == xu[4, 5] == 1
    assert xd[3, 1] == xd[3, 2] == xd[3, 4] == xd[3, 5] == 1
    assert xu[4, 3] == 0 and xd[3, 3] == 0           # nobody at P0 is "Not stated"
    (gu, _), _, _ = m2_widths(grid, base, count, status, Bounds(N, False), 2, pairs)
    assert gu[4, 1] == 0 and gu[4, 0] == 1           # without groups, only the totals


def test_cells_empty_by_definition_give_no_room(small_dims):
    """Where the definition says a group is empty (WDES 8's Non-disabled and Not stated),
    a respondent moving between practices can only take the Disabled group along."""
    grid = _pcn(small_dims, ["P0", "P1"])
    # columns: All | White, BME, Not stated | Disabled, Non-disabled, Not stated
    p0 = np.array([4, 3, 1, 0, 4, 0, 0])
    p1 = np.array([3, 2, 1, 0, 3, 0, 0])
    base = np.array([p0 + p1] * 3 + [p0, p1], np.int64)
    count = np.zeros_like(base)
    status = np.where(base < N, PRIMARY, OK).astype(np.int8)
    status[:, [5, 6]] = FIXED
    pairs = _sibling_leaf_pairs(grid)
    (xu, xd), _, _ = m2_widths(grid, base, count, status, Bounds(N, False), 2, pairs, groups=True)
    assert xu[4, 0] == 1 and xd[3, 0] == 1
    assert xu[4, 4] == 1 and xd[3, 4] == 1           # Disabled moves with the total
    assert (xu[:, [5, 6]] == 0).all() and (xd[:, [5, 6]] == 0).all()
    status[4, 4] = OK                               # a published Disabled cell pins P1's total
    (xu, xd), _, _ = m2_widths(grid, base, count, status, Bounds(N, False), 2, pairs, groups=True)
    assert xu[4, 0] == 0 and xd[3, 0] == 0
    up, dn = rooms(base, count, status, Bounds(N, False))
    assert (up[:, [5, 6]] == 0).all() and (dn[:, [5, 6]] == 0).all()


def test_a_suppressed_total_gets_a_group_of_each_characteristic_suppressed(small_dims):
    """A total moves only with a group of every characteristic: where all of one are
    published, or empty by definition, the largest published one is suppressed with it."""
    grid = _pcn(small_dims, ["P0", "P1"])
    p0 = np.array([16, 14, 2, 0, 16, 0, 0])
    p1 = np.array([4, 3, 1, 0, 4, 0, 0])
    base = np.array([p0 + p1] * 3 + [p0, p1], np.int64)
    status = np.where(base < N, PRIMARY, OK).astype(np.int8)
    status[:, [5, 6]] = FIXED
    status[3, 0] = SECONDARY                        # P0's total, shielding P1's
    before = status.copy()
    assert row_pass(grid, base, status) == 1
    assert status[3, 4] == SECONDARY                # P0's Disabled is its total
    changed = np.argwhere(status != before)
    assert changed.tolist() == [[3, 4]]             # ethnicity already has BME suppressed at P0
    assert row_pass(grid, base, status) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_m2_widths_kept_between_calls_match_widths_worked_out_afresh(small_dims, data):
    """The memo of m2_widths works out again only the sibling groups whose rows changed:
    as the status grows (as it only ever does in the engine), every call gives exactly what
    a call without the memo gives."""
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    pairs = _sibling_leaf_pairs(grid)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    memo: dict = {}
    for _ in range(4):
        for groups in (False, True):
            kept = m2_widths(grid, base, count, status, Bounds(N, False), 2, pairs, groups, memo)
            fresh = m2_widths(grid, base, count, status, Bounds(N, False), 2, pairs, groups)
            for a, b in zip(kept, fresh):
                assert all(np.array_equal(i, j) for i, j in zip(a, b))
        grow = (rng.random(status.shape) < 0.15) & (status == OK)
        status = np.where(grow, np.where(base < N, PRIMARY, SECONDARY), status).astype(np.int8)
