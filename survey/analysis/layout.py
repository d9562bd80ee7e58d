"""A release's columns from the shipped definitions: per canonical indicator, the
organisation total and every group of every characteristic, and the characteristics over
one answer column (`Family`, from survey.analysis.dimensions.nesting). The disclosure
control (survey.disclosure) takes the result as plain data and never reads a definition."""
from __future__ import annotations

import numpy as np

from survey.analysis.dimensions import nesting
from survey.disclosure.structure import Family, Layout


def make_layout(indicators: list[str], dimensions: dict) -> Layout:
    dims = list(dimensions)
    one_d, one_g = [], []
    for k, (did, dim) in enumerate(dimensions.items()):
        for g in dim.groups:
            one_d.append(k); one_g.append(g)
    per = len(one_d)
    n_i = len(indicators)
    return Layout(indicators, dims, np.repeat(np.arange(n_i), per), np.tile(one_d, n_i),
                  np.tile(np.array(one_g, dtype=object), n_i), per, _families(dimensions, one_d, one_g))


def _families(dimensions: dict, one_d: list, one_g: list) -> tuple:
    dims = list(dimensions)
    local = {(dims[d], g): j for j, (d, g) in enumerate(zip(one_d, one_g))}
    out = []
    for _column, ids, chain in nesting(dimensions):
        finest = ids[0]
        fine_groups = [g for g in dimensions[finest].groups if (finest, g) in local
                       and g in next(iter(chain.values()))]
        fine = np.array([local[(finest, g)] for g in fine_groups], np.int64)
        up = tuple(np.array([local[(cid, chain[cid][g])] for g in fine_groups], np.int64) for cid in ids[1:])
        out.append(Family(tuple(dims.index(i) for i in ids), fine, up))
    return tuple(out)
