"""The same people answer every question: one hiding pattern for the indicators that ask
(nearly) everybody.

Every indicator's base in a group is at most the group's respondents, and summed over the
groups of a characteristic those respondents are the organisation's number of answers,
which the release's response rates publish. Most respondents answer every question, so a
group's base is nearly the same number in every indicator asked of everybody. A group
hidden in one such indicator and printed in another is therefore hardly hidden: when
indicator A hides Not stated and BME while indicator B hides Not stated and White, B's
printed BME and A's printed White, taken from the published answers, leave Not stated's
respondents, and with them its base in A and B (bench/relations.py pinned 85 bases this
way on its seeded ICS, 39 of them groups under 11).

`agree` keeps this from arising: at each organisation, a group (or the organisation's
total) hidden in one of those indicators is hidden in all of them, as a statistical office
gives one suppression pattern to tables of several variables over the same contributors.
Then the groups hidden at an organisation are one set H in every such indicator, and the
published answers tell an outsider only how many people H holds in all, about what each
indicator's own table says already (its total less its printed groups).

Indicators asked of fewer people keep their own pattern (`asking_everybody`): WDES 8 counts
Disabled staff only (its "All" is the Disabled staff), and a routed question or a base
that leaves "Don't know" out holds well under the groups' respondents, so the bound the
answers give is slack there.

Agreeing on which groups are hidden is not the whole of it: the status words say how big
a hidden group is ("secondary" holds 11 or more, "primary" fewer). Where the same group is
secondary in one indicator and primary in another (Not stated: 11 who answered the
bullying questions, 9 of them the discrimination one), the group's respondents are at
least 11 while the second indicator's base, at most 10, misses at most the few people that
indicator's published numbers leave unaccounted for; the demo's whole wave pinned that
base to 9..10 this way. `labels` finds these cells from the published numbers alone and
hides more until the unaccounted people are enough to cover the protection.
"""
from __future__ import annotations

import numpy as np

from survey.disclosure.status import FIXED, OK, PRIMARY, SECONDARY
from survey.disclosure.grid import Grid


# An indicator whose base at the whole wave holds at least this share of the largest base
# of any indicator counts nearly every respondent: its printed groups bound the others'.
NEARLY_EVERYBODY = 0.9


def asking_everybody(grid: Grid, x, fixed) -> np.ndarray:
    """Per indicator (bool): its base counts nearly every respondent. No column of it is
    empty by definition (`fixed`, nodes x columns, or None), and at the whole wave (the
    root) its base is at least NEARLY_EVERYBODY of the largest indicator's. An indicator
    asked of fewer (a routed question, "Don't know" left out of the base) has bases well
    under the groups' respondents, so the bound the answers give is slack there; tying its
    pattern to the others would hide the very comparisons the release is for (measured
    with bench/comparisons.py: every BME/White comparison of the demo hidden)."""
    lay = grid.layout
    n_ind = len(lay.indicators)
    out = np.ones(n_ind, bool)
    if fixed is not None:
        per_col = np.asarray(fixed, bool).any(axis=0)
        out &= ~per_col.reshape(n_ind, lay.per_ind).any(axis=1)
    root = np.flatnonzero(grid.tree.parent < 0)
    totals = np.asarray(x)[root[0], grid.all_cols] if len(root) else np.zeros(n_ind)
    out &= totals >= NEARLY_EVERYBODY * totals.max(initial=0)
    return out


def agree(grid: Grid, status, everybody) -> int:
    """In place: at every organisation, each column (the total, or a group) hidden in one
    indicator asking everybody is hidden in all of them. Returns cells added."""
    ks = np.flatnonzero(everybody)
    if len(ks) < 2:
        return 0
    per = grid.layout.per_ind
    cols = ks[:, None] * per + np.arange(per)[None, :]       # (k, per)
    st = status[:, cols]                                     # (n, k, per)
    hidden = ((st != OK) & (st != FIXED)).any(axis=1)        # (n, per)
    n_, k_, c_ = np.nonzero((st == OK) & hidden[:, None, :])
    status[n_, cols[k_, c_]] = SECONDARY
    return len(n_)



def unaccounted(grid: Grid, x, status, answers) -> list:
    """Per characteristic (grid.dim_cols order): (nodes x indicators) how many respondents an
    outsider can place outside the indicator's hidden groups of that characteristic at most:
    the answers less the indicator's total, less in every group it prints (or knows to be
    empty) the gap between that group's largest printed base in any indicator (a floor on
    the group's respondents) and its own. Inf where the indicator's total is hidden."""
    ac = grid.all_cols
    total_shown = status[:, ac] == OK                                  # (n, k)
    out = []
    for cols in grid.dim_cols:                                         # (k, m)
        st = status[:, cols]                                           # (n, k, m)
        b = x[:, cols].astype(np.float64)
        shown = (st == OK) | (st == FIXED)
        floor = np.where(st == OK, b, 0).max(axis=1)                   # (n, m) respondents at least
        gap = np.where(shown, floor[:, None, :] - np.where(st == FIXED, 0, b), 0).sum(-1)
        m = answers[:, None] - x[:, ac] - gap
        out.append(np.where(total_shown, m, np.inf))
    return out


def labels(grid: Grid, x, status, answers, p: int) -> int:
    """In place: wherever a group is secondary in some indicator and primary in another at
    one organisation, the primary base must keep at least the protection's width between
    the 11 its group's respondents hold at least and the 10 it holds at most; it has only
    what its indicator leaves unaccounted (`unaccounted`): the base lies in
    [11 - unaccounted, 10]. Where that is narrower than `p`, the printed group of the same
    characteristic whose hiding accounts for the most people is hidden too (or, with none
    left, the indicator's total). Returns cells added."""
    added = 0
    per = grid.layout.per_ind
    for cols, m in zip(grid.dim_cols, unaccounted(grid, x, status, answers)):
        st = status[:, cols]                                           # (n, k, m)
        secondary_somewhere = (st == SECONDARY).any(axis=1)            # (n, groups)
        short = ((st == PRIMARY) & (x[:, cols] > 0) & secondary_somewhere[:, None, :]).any(-1) & (m < p + 1)
        for node, k in zip(*np.nonzero(short)):
            row = st[node, k]
            printed = np.flatnonzero(row == OK)
            if len(printed):
                floor = np.where(st[node] == OK, x[node][cols], 0).max(axis=0)
                gain = floor[printed] - x[node, cols[k, printed]]
                target = cols[k, printed[np.lexsort((x[node, cols[k, printed]], -gain))[0]]]
            else:
                target = k * per                                      # the total
            if status[node, target] == OK:
                status[node, target] = SECONDARY
                added += 1
    return added
