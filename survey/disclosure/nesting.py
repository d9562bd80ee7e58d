"""Characteristics that group the same people: what the certificates must not assume.

Two characteristics over one answer column (`Layout.families`; the ethnicity tables of five
and of three groups) are not independent tables: White is the same number in both, and BME
is Mixed + Asian + Black + Other. Every reader of the shipped definitions knows it, so a
number hidden in one table and printed in the other, or a BME hidden where its four parts
are printed, is no secret. The certificates of survey.disclosure.groups and .routes move one
characteristic at a time and cannot see this; so:

- `align` keeps the obvious cases from arising at all: a group and its identical twin are
  hidden together; a hidden coarser group whose finer groups are all printed gets its
  largest one hidden; a printed coarser group does not leave exactly one of its finer groups
  hidden (that one would be the difference), so the smallest printed one goes too;
- `cells` names every hidden cell of such characteristics, which survey.disclosure.suppress
  proves by linear programming over the nesting relations (survey.disclosure.lpcheck) and never
  by a one-characteristic certificate;
- `consistent` restricts the moves of a respondent between sibling practices (M2,
  survey.disclosure.certify) to those that change the same person in every table: a fine group
  and the coarser groups holding it;
- `overlapping` says which cells to hide next to one the LP finds too narrow.
"""
from __future__ import annotations

import numpy as np

from survey.disclosure.status import FIXED, OK, SECONDARY
from survey.disclosure.grid import Grid


def cells(grid: Grid, status) -> np.ndarray:
    """Suppressed cells (bool, nodes x columns) of every characteristic in a family, less
    those empty by definition (known zeros)."""
    lay = grid.layout
    out = np.zeros(status.shape, bool)
    if not lay.families:
        return out
    local = np.zeros(lay.per_ind, bool)
    for fam in lay.families:
        local[fam.members()] = True
    cols = np.flatnonzero(np.tile(local, len(lay.indicators)))
    out[:, cols] = (status[:, cols] != OK) & (status[:, cols] != FIXED)
    return out


def align(grid: Grid, x, status) -> int:
    """Make the suppression pattern agree across nested characteristics (see the module's
    docstring). Returns cells added; call again until it adds none."""
    lay = grid.layout
    per = lay.per_ind
    offs = np.arange(len(lay.indicators)) * per
    added = 0
    for fam in lay.families:
        for c, parts in fam.sums():
            cc = offs + c                                   # (n_ind,) the coarse group's columns
            pc = offs[:, None] + parts[None, :]             # (n_ind, parts)
            sc = status[:, cc]                              # (n, n_ind)
            sp = status[:, pc]                              # (n, n_ind, parts)
            hid_c = (sc != OK) & (sc != FIXED)
            hid_p = (sp != OK) & (sp != FIXED)
            if len(parts) == 1:                             # twins: hidden together
                n_, k_ = np.nonzero(hid_c & (sp[..., 0] == OK))
                status[n_, pc[k_, 0]] = SECONDARY
                m_, j_ = np.nonzero(hid_p[..., 0] & (sc == OK))
                status[m_, cc[j_]] = SECONDARY
                added += len(n_) + len(m_)
                continue
            shown = sp == OK
            # a hidden sum of printed parts: hide the largest part
            n_, k_ = np.nonzero(hid_c & ~hid_p.any(-1) & shown.any(-1))
            if len(n_):
                big = np.argmax(np.where(shown[n_, k_], x[n_[:, None], pc[k_]], -1), axis=1)
                status[n_, pc[k_, big]] = SECONDARY
                added += len(n_)
            # a printed sum with one hidden part: hide the smallest printed part as well
            n_, k_ = np.nonzero((sc == OK) & (hid_p.sum(-1) == 1) & shown.any(-1))
            if len(n_):
                small = np.argmin(np.where(shown[n_, k_], x[n_[:, None], pc[k_]], np.iinfo(np.int64).max), axis=1)
                status[n_, pc[k_, small]] = SECONDARY
                added += len(n_)
    return added


def overlapping(grid: Grid, col: int) -> np.ndarray:
    """Columns of other characteristics of the same family that share people with `col`
    (the same indicator): a fine group's coarser holders, a coarse group's fine parts."""
    lay = grid.layout
    per = lay.per_ind
    k, j = divmod(int(col), per)
    out = []
    for fam in lay.families:
        for c, parts in fam.sums():
            if j == c:
                out.extend(parts)
            elif j in parts:
                out.append(c)
    return k * per + np.unique(np.asarray(out, np.int64))


def consistent(grid: Grid, common: list) -> None:
    """In place: per characteristic, the groups a respondent moved between sibling leaves
    may be in (`common[d]`: pairs x indicators x groups, movable at both), kept only where
    the same respondent can move in every nested characteristic: a fine group together
    with the coarser groups holding it."""
    lay = grid.layout
    local_dim = lay.col_dim[:lay.per_ind]
    def pos(d, cols):                    # local columns -> positions in d's groups
        return np.searchsorted(np.flatnonzero(local_dim == d), cols)

    for fam in lay.families:
        fd = fam.dims[0]
        fpos = pos(fd, fam.fine)
        joint = common[fd - 1][..., fpos].copy()
        holders = []
        for d, up in zip(fam.dims[1:], fam.up):
            cpos = pos(d, up)
            joint &= common[d - 1][..., cpos]
            holders.append((d, cpos))
        fine = np.zeros_like(common[fd - 1])
        fine[..., fpos] = joint
        common[fd - 1] = fine
        for d, cpos in holders:
            coarse = np.zeros_like(common[d - 1])
            for j, c in enumerate(cpos):
                coarse[..., c] |= joint[..., j]
            common[d - 1] = coarse
