"""docs/disclosure.md's worked example, printed: one small release protected stage by stage.

    .venv/bin/python bench/walkthrough.py

Seven practices in three PCNs under one place, 116 staff, one question (WRES 8: discrimination
from a manager or colleague) by disability. The script builds the release as the product
does (tests.support.planted.release_of: survey.analysis.build_release with
survey.disclosure.suppress.protect_grid) and
prints, after each stage that changed something, the cells it hid: primary suppression,
the relations of totals (total_pass, row_pass), the linked-table agreement (nesting,
respondents), secondary suppression per table (groups), the audit (moves of respondents,
then linear programming) and escalation. It ends with what a reader can work out about
each hidden base: its interval against the independent attacker of tests/support.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey.disclosure import groups, lpaudit, suppress  # noqa: E402
from survey.disclosure.status import STATUS_NAMES  # noqa: E402
from tests.support import definitions, planted  # noqa: E402
from tests.support.attacker import Attack  # noqa: E402

# practice: (Disabled, Non-disabled, Not stated) who answered
PRACTICES = {"P00": (4, 14, 1), "P01": (6, 12, 0), "P02": (3, 9, 2),
             "P10": (7, 16, 1), "P11": (2, 8, 0),
             "P20": (5, 11, 1), "P21": (3, 6, 1)}
CODES = ("1", "2", "3")          # disability: Disabled, Non-disabled, Not stated


def world():
    orgs = pd.DataFrame([("I1", "ICS", "ics", None), ("L1", "Place", "place", "I1"),
                         *[(f"N{n}", f"PCN {n}", "pcn", "L1") for n in range(3)],
                         *[(p, f"Practice {p}", "practice", f"N{p[1]}") for p in PRACTICES]],
                        columns=["code", "name", "level", "parent_code"])
    rng = np.random.default_rng(8)
    rows = [{"org_code": p, "ethnicity": "01", "disability": code, "q16b": int(rng.choice([1, 2], p=[.2, .8]))}
            for p, sizes in PRACTICES.items() for code, n in zip(CODES, sizes) for _ in range(n)]
    return orgs, rows


def main() -> None:
    orgs, rows = world()
    names: dict = {}
    state: dict = {}

    def show(stage, grid, status):
        if "codes" not in names:
            names["codes"] = grid.tree.codes
            names["groups"] = grid.layout.col_group
            names["x"] = state["x"]
        before = state.get("status")
        new = np.argwhere(status != 0) if before is None else np.argwhere((status != before))
        state["status"] = status.copy()
        if len(new) == 0:
            return
        print(f"\n{stage}: {len(new)} cell(s)")
        for node, col in new:
            print(f"  {names['codes'][node]:<4} {str(names['groups'][col]):<13} base {int(names['x'][node, col]):>3}  "
                  f"-> {STATUS_NAMES[status[node, col]]}")

    def wrap(module, name, stage, grid_arg=0, status_arg=None):
        original = getattr(module, name)

        def watched(*args, **kw):
            out = original(*args, **kw)
            grid = args[grid_arg]
            status = args[status_arg] if status_arg is not None else kw.get("status")
            show(stage, grid, status)
            return out
        setattr(module, name, watched)

    original_protect = suppress.protect_grid

    def protect(grid, x, y, primary, cost, **kw):
        state["x"] = np.asarray(x)
        show("primary suppression (a group under 11)", grid, np.where(primary, 1, 0).astype(np.int8))
        return original_protect(grid, x, y, primary, cost, **kw)

    import survey.analysis.release as release_module
    release_module.protect_grid = protect
    wrap(suppress, "total_pass", "secondary: a column of totals never holds one hidden total", 0, 1)
    wrap(suppress, "row_pass", "secondary: a hidden total never has all its groups shown", 0, 2)
    wrap(suppress, "_aligned", "linked tables: nested characteristics and indicators agree", 0, 2)
    wrap(groups, "protect_groups", "secondary suppression, one table at a time (shifts, max-flow, repairs)", 0, 3)
    wrap(suppress, "complete_totals", "audit of hidden totals: a respondent movable to a sibling practice", 0, 2)
    wrap(suppress, "open_parents", "escalation: what the LP audit found too narrow frees the cells above", 0, 1)
    wrap(lpaudit, "exact_check", "audit by linear programming (nothing changes; cells proven)", 0, 3)

    rel, cells, prof = planted.release_of(rows, orgs, dims=("all", "disability"))
    a = rel.audit
    print(f"\naudit: {a.suppressed} hidden ({a.primary} primary, {a.secondary} secondary), "
          f"{a.lp_checked} checked by LP, {a.unprotected} unproven, {a.rounds} round(s)")

    frame = planted.as_downloaded(rel.table)
    parent = planted.parents(orgs)
    answers = planted.published_answers(prof, rel, orgs)
    attack = Attack(definitions.shipped(), frame, answers, parent, rel.params.min_cell, relations=True)
    got = attack.ranges(rows=attack.hidden.index[attack.hidden["what"] == "base"])
    true = planted.truth(cells, orgs)["base"]
    print("\nwhat a reader can work out of each hidden base (tests/support's attacker, exact):")
    for r in got.itertuples():
        value = true.get((r.indicator, r.org_code, r.dimension, r.group), 0)
        print(f"  {r.org_code:<4} {r.group:<13} {r.status:<9} true {int(value):>3}  interval {r.lo:g}..{r.hi:g}")


if __name__ == "__main__":
    main()
