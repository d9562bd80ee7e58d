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
"""
from __future__ import annotations

import numpy as np

from survey.analysis.engine import FIXED, OK, SECONDARY
from survey.analysis.grid import Grid


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

