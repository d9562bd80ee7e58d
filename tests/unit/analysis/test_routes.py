"""Routes are proofs: what survey.disclosure.routes says a leaf cell can rise or fall by is
never more than the exact LP attacker allows, and it finds the move it is meant to find (a
respondent between two practices whose groups differ, through a third practice)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from survey.disclosure.certify import Bounds, _sibling_leaf_pairs, m2_widths, rooms
from survey.disclosure.status import FIXED, OK, PRIMARY, SECONDARY
from survey.disclosure.grid import make_grid
from survey.disclosure.routes import _room, route_moves, route_widths, sibling_segments
from tests.support.worlds import N, exact_intervals, one_pcn, patterns

P = 2


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_routes_never_claim_more_than_the_exact_intervals(small_dims, data):
    tree, layout, base, count, status = data.draw(patterns(small_dims))
    grid = make_grid(tree, layout)
    cells = np.argwhere(status != OK)
    moves = route_moves(grid, base, count, status, Bounds(N, False), cells, P)
    exact = exact_intervals(tree, layout, base, count, status)
    values = (base, count, base - count)
    for (node, col), mv in zip(cells.tolist(), moves):
        for q in range(3):
            lo, hi = exact[(node, col)][q]
            assert values[q][node, col] + mv[q, 0] <= hi + 1e-6, (node, col, q, "rise", mv[q], lo, hi)
            assert values[q][node, col] - mv[q, 1] >= lo - 1e-6, (node, col, q, "fall", mv[q], lo, hi)


def _three_practices(small_dims, p2_white=SECONDARY):
    """P0 and P1 (totals suppressed) have no ethnic group both could give and take a
    respondent in (P0's BME and P1's White are published); P2, whose total is published,
    has both White and BME suppressed."""
    S_, P_ = SECONDARY, PRIMARY
    # columns: All | White, BME, Not stated | Disabled, Non-disabled, Not stated
    return one_pcn({"P0": ([14, 8, 6, 0, 7, 7, 0], [7, 4, 3, 0, 4, 3, 0], [S_, S_, OK, P_, S_, S_, P_]),
                 "P1": ([14, 6, 8, 0, 7, 7, 0], [7, 3, 4, 0, 3, 4, 0], [S_, OK, S_, P_, S_, S_, P_]),
                 "P2": ([20, 10, 10, 0, 10, 10, 0], [10, 5, 5, 0, 5, 5, 0], [OK, p2_white, S_, P_, OK, OK, P_])},
                small_dims)


def test_a_respondent_moves_between_practices_through_a_third(small_dims):
    """P0 +White, P2 -White +BME, P1 -BME (and a disability group at P0 and P1 alike): P0's
    total rises and P1's falls by one per respondent moved, though no M2 move exists."""
    grid, base, count, status = _three_practices(small_dims)
    p0, p1 = 3, 4                                    # rows: wave, ICS, PCN, P0, P1, P2
    (xu, xd), _, _ = m2_widths(grid, base, count, status, Bounds(N, False), P, _sibling_leaf_pairs(grid),
                               groups=True)
    assert xu[p0, 0] == xd[p0, 0] == xu[p1, 0] == xd[p1, 0] == 0
    cells = np.array([(p0, 0), (p1, 0), (p0, 1), (p1, 2)])
    moves = route_moves(grid, base, count, status, Bounds(N, False), cells, P)
    assert (moves[:, 0] == 2).all()                  # bases: up two and down two
    assert route_widths(grid, base, count, status, Bounds(N, False), cells, P)[:, 0].tolist() == [4, 4, 4, 4]
    exact = exact_intervals(grid.tree, grid.layout, base, count, status)
    lo, hi = exact[(p0, 0)][0]
    assert base[p0, 0] + 2 <= hi and base[p0, 0] - 2 >= lo


def test_without_the_third_practice_there_is_no_route(small_dims):
    grid, base, count, status = _three_practices(small_dims, p2_white=OK)
    moves = route_moves(grid, base, count, status, Bounds(N, False), np.array([(3, 0), (4, 0)]), P)
    assert (moves == 0).all()


def test_sibling_segments_group_leaves_by_parent(small_dims):
    grid, *_ = _three_practices(small_dims)
    starts, leaves = sibling_segments(grid)
    assert starts.tolist() == [0, 3] and sorted(leaves.tolist()) == [3, 4, 5]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.sampled_from([OK, PRIMARY, SECONDARY, FIXED]),
       st.integers(5, 15), st.booleans())
def test_a_cells_room_in_the_search_is_certify_rooms(x, y, status, min_cell, count_rule):
    """routes._room works out one cell's rooms inside the search; they are certify.rooms'
    (a swap: the count rises as far as the complement can fall, and falls as far as itself)."""
    y = min(x, y)
    bounds = Bounds(min_cell, count_rule)
    xa, sa = np.array([x]), np.array([status], np.int8)
    for layer, v in ((0, y), (1, x - y)):
        up, dn = rooms(xa, np.array([v]), sa, bounds)
        assert _room(x, y, status, layer, True, min_cell, count_rule) == up[0]
        assert _room(x, y, status, layer, False, min_cell, count_rule) == dn[0]
    published = status == OK
    assert _room(x, y, status, 2, True, min_cell, count_rule) == (-1 if published else x - y)
    assert _room(x, y, status, 2, False, min_cell, count_rule) == (-1 if published else y)
