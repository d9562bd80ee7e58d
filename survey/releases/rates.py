"""Response rates per organisation at every level, under the release's disclosure control.

`invited` (invitations handed out, WaveOrganisation.invited) is an administrative figure
and always shown. `answered` comes from the responses, so it is protected like a base: an
organisation with fewer than MIN_CELL answers has its count suppressed (primary), and the
engine of the analysis core adds secondary suppressions until no suppressed count can be
worked out from its parent and siblings (a PCN is the sum of its practices), then audits
the result exactly. The wave's own total is never chosen as a secondary suppression. A
rebuild keeps every earlier suppression.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.analysis import ReleaseParams, Relations, protect
from survey.disclosure.status import STATUS_NAMES
from survey.analysis.release import DisclosureError
from survey.disclosure.structure import org_tree, rollup_matrix
from survey.models import Organisation, Wave, WaveOrganisation

RATE_COLUMNS = ["org_level", "org_code", "org_name", "invited", "answered", "rate", "status"]


def invited_by_org(session: Session, wave: Wave) -> pd.Series:
    rows = session.execute(select(Organisation.code, WaveOrganisation.invited)
                           .join(Organisation, Organisation.id == WaveOrganisation.org_id)
                           .where(WaveOrganisation.wave_id == wave.id)).all()
    return pd.Series({code: int(n or 0) for code, n in rows}, dtype=np.int64)


def response_rates(session: Session, wave: Wave, answered: pd.Series, orgs: pd.DataFrame,
                   params: ReleaseParams, previous: pd.DataFrame | None = None,
                   hidden_totals: dict | None = None) -> pd.DataFrame:
    """DataFrame[org_level, org_code, org_name, invited, answered, rate, status], one row per
    organisation of the wave and its ancestors, and the whole wave (org_code ALL)."""
    invited = invited_by_org(session, wave)
    return protect_rates(invited, answered, orgs, params, previous, hidden_totals)


def protect_rates(invited: pd.Series, answered: pd.Series, orgs: pd.DataFrame, params: ReleaseParams,
                  previous: pd.DataFrame | None = None, hidden_totals: dict | None = None) -> pd.DataFrame:
    """hidden_totals: {"leaf_bases": DataFrame (leaf code x indicator) of true bases,
    "hidden": set of (org code, indicator) whose total (All cell) the release hides}.
    A hidden total can never exceed the organisation's count of answers, so a published
    count bounds it from above; where the two are closer than the protection level (say
    everyone answered the question: the count IS the total) the count is hidden too."""
    answered = answered[answered > 0]
    leaf_codes = list(dict.fromkeys([str(c) for c in invited.index] + [str(c) for c in answered.index]))
    if not leaf_codes:
        return pd.DataFrame(columns=RATE_COLUMNS)
    tree = org_tree(orgs, leaf_codes)
    S, leaves = rollup_matrix(tree)
    leaf_code = tree.codes[leaves]
    inv_leaf = invited.reindex(leaf_code).fillna(0).to_numpy(dtype=np.float64)
    ans_leaf = answered.reindex(leaf_code).fillna(0).to_numpy(dtype=np.float64)
    node_inv = np.asarray(S @ inv_leaf).ravel()
    node_ans = np.asarray(S @ ans_leaf).ravel()
    children: dict[int, list[int]] = {}
    for node, parent in enumerate(tree.parent):
        if parent >= 0:
            children.setdefault(int(parent), []).append(node)
    relations = Relations.from_lists([(p, kids) for p, kids in children.items()])
    primary = node_ans < params.min_cell
    # counts that would bound a hidden total too closely are hidden as well; they are not
    # under N, so their status says "secondary" (a status word must never lie: "primary"
    # tells every reader that the count is under N)
    shield = np.zeros(tree.n, bool)
    if hidden_totals and hidden_totals["hidden"]:
        bases = hidden_totals["leaf_bases"].reindex(leaf_code).fillna(0)
        node_bases = np.asarray(S @ bases.to_numpy(dtype=np.float64))
        pos = {c: i for i, c in enumerate(tree.codes)}
        ind_pos = {c: j for j, c in enumerate(bases.columns)}
        for org, ind in hidden_totals["hidden"]:
            i, j = pos.get(org), ind_pos.get(ind)
            if i is not None and j is not None and node_bases[i, j] > node_ans[i] - float(params.protection):
                shield[i] = True
    shield &= ~primary
    forbidden = np.zeros(tree.n, bool)
    forbidden[tree.parent < 0] = True          # the wave's total: never a secondary suppression
    prev = shield.copy()
    if previous is not None and len(previous):
        hidden = set(previous.loc[previous["status"].astype(str) != "ok", "org_code"].astype(str))
        prev |= np.array([c in hidden for c in tree.codes], dtype=bool)
    prot = protect(node_ans, relations, primary, forbidden=forbidden, previous=prev,
                   protection=float(params.protection))
    if prot.audit.failures:
        raise DisclosureError(f"response rates: the audit left {len(prot.audit.failures)} counts unprotected")
    sup = prot.status != 0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(sup | (node_inv <= 0), np.nan, np.round(100.0 * node_ans / node_inv, 1))
    return pd.DataFrame({
        "org_level": tree.levels.astype(object), "org_code": tree.codes.astype(object),
        "org_name": tree.names.astype(object),
        "invited": node_inv.astype(np.int64),
        "answered": pd.arrays.IntegerArray(np.where(sup, 0, node_ans).astype(np.int64), sup),
        "rate": rate,
        "status": STATUS_NAMES[prot.status.astype(np.int64)].astype(object),
    }, columns=RATE_COLUMNS)
