"""Shifts are proofs: what survey.disclosure.shifts says a cell can move by is never more than
the exact single-layer max-flow on the table's network (every organisation total held
fixed, as the shifts hold them), nor more than an exact LP over everything published; and
it finds the moves it is meant to find (a rectangle, a route through a third group)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from survey.disclosure import flows, shifts
from survey.disclosure.certify import Bounds
from survey.disclosure.status import OK, PRIMARY, SECONDARY
from survey.disclosure.grid import make_grid
from survey.disclosure.groups import MAX_VISIT, _capacities
from tests.support.worlds import N, exact_intervals, one_pcn, patterns

P = 2


def _tables(grid, base, count, status):
    """Per characteristic: (columns, residual capacities r) as the engine builds them."""
    for cols in grid.dim_cols:
        cc = cols[0]
        r, _, _, _ = _capacities(base[:, cc].ravel(), count[:, cc].ravel(), status[:, cc].ravel(), Bounds(N, False), P)
        yield cc, r


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_shifts_never_move_a_layer_further_than_its_max_flow(small_dims, data):
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    for cc, r in _tables(grid, base, count, status):
        m = len(cc)
        net = flows.network(grid, m)
        stamp, mark, prev, queue, log = flows._scratch(net.n_nodes, len(net.tail))
        for L in range(3):
            up = np.ascontiguousarray(r[L, 0::2].reshape(grid.n, m))
            dn = np.ascontiguousarray(r[L, 1::2].reshape(grid.n, m))
            rise, fall = shifts.layer_moves(grid.tree.parent, grid.tree.is_leaf, up, dn, P)
            for a in np.flatnonzero(status[:, cc].ravel() != OK):
                flow_up, flow_down = flows._moves(a, net.adj_start, net.adj_edge, net.tail, net.head, r[L].copy(), P,
                                                  MAX_VISIT, stamp, mark, prev, queue, log)
                v, g = divmod(int(a), m)
                assert rise[v, g] <= flow_up and fall[v, g] <= flow_down, (L, v, g, rise[v, g], flow_up,
                                                                          fall[v, g], flow_down)
            published = status[:, cc] == OK
            assert (rise[published] == 0).all() and (fall[published] == 0).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_proven_widths_fit_inside_the_exact_intervals(small_dims, data):
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    exact = exact_intervals(tree, layout, base, count, status)
    for cc, r in _tables(grid, base, count, status):
        w = shifts.table_widths(r, grid.tree.parent, grid.tree.is_leaf, P).reshape(grid.n, len(cc), 3)
        for v, j in zip(*np.nonzero(status[:, cc] != OK)):
            for q in range(3):
                lo, hi = exact[(int(v), int(cc[j]))][q]
                assert w[v, j, q] <= hi - lo + 1e-6, (v, cc[j], q, w[v, j, q], lo, hi)


def test_the_rectangle_of_two_practices_is_proven_as_the_networks_prove_it(small_dims):
    """As in test_certificates.test_a_rectangle_is_found_and_measured: P0's Disabled cell
    (base 3 primary, count 0) rises and falls one in its base, rises two in its count (P1
    gives counts through the answer swaps) and falls two in its complement."""
    dims = {k: small_dims[k] for k in ("all", "disability")}
    S_, P_ = SECONDARY, PRIMARY
    grid, base, count, status = one_pcn({"P0": ([12, 3, 9, 0], [3, 0, 3, 0], [0, P_, S_, 0]),
                                      "P1": ([12, 3, 9, 0], [4, 3, 1, 0], [0, P_, S_, 0])}, dims)
    cc = grid.dim_cols[0][0]
    r = next(_tables(grid, base, count, status))[1]
    w = shifts.table_widths(r, grid.tree.parent, grid.tree.is_leaf, P).reshape(grid.n, len(cc), 3)
    assert w[3, 0].tolist() == [2, 2, 2]


def test_a_route_through_a_third_group_is_found(small_dims):
    """Three practices, groups White, BME, Not stated. P0 has one "yes" to move from White
    to Not stated; no other practice can move a "yes" from Not stated to White directly
    (P1's White is published), but P1 moves one from Not stated to BME and P2 one from BME
    to White: a six-cycle through the third group (at two different practices)."""
    dims = {k: small_dims[k] for k in ("all", "ethnicity_group")}
    S_, P_ = SECONDARY, PRIMARY
    grid, base, count, status = one_pcn({
        "P0": ([30, 27, 2, 1], [7, 7, 0, 0], [0, S_, P_, P_]),
        "P1": ([40, 30, 3, 7], [10, 6, 1, 3], [0, OK, P_, S_]),
        "P2": ([30, 25, 4, 1], [10, 8, 2, 0], [0, S_, P_, P_])}, dims)
    cc = grid.dim_cols[0][0]
    r = next(_tables(grid, base, count, status))[1]
    m = len(cc)
    up = np.ascontiguousarray(r[0, 0::2].reshape(grid.n, m))
    dn = np.ascontiguousarray(r[0, 1::2].reshape(grid.n, m))
    rise, _ = shifts.layer_moves(grid.tree.parent, grid.tree.is_leaf, up, dn, P)
    p0 = 3                                         # rows: wave, ICS, PCN, P0, P1, P2
    assert rise[p0, 2] == 1                        # P0's Not stated count rises by one "yes"
    # without P2 taking part (its BME published) there is no route at all
    status[5, 2] = OK
    r = next(_tables(grid, base, count, status))[1]
    up = np.ascontiguousarray(r[0, 0::2].reshape(grid.n, m))
    dn = np.ascontiguousarray(r[0, 1::2].reshape(grid.n, m))
    rise, _ = shifts.layer_moves(grid.tree.parent, grid.tree.is_leaf, up, dn, P)
    assert rise[p0, 2] == 0
