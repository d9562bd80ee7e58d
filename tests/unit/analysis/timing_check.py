"""Quick timing check of the analysis core on synthetic data (a script, not a test).

    .venv/bin/python -m tests.unit.analysis.timing_check --practices 30 --full
    .venv/bin/python -m tests.unit.analysis.timing_check --practices 6500 --stages

--full runs build_release end to end; --stages stops after the vectorised passes (primary,
cheap secondary, remainder pass, block labelling) and prints the block sizes the exact
audit would face.
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from survey.analysis import ReleaseParams, build_release, finest_cells, load_dimensions, load_indicators
from tests.unit.analysis import synthetic


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--practices", type=int, default=30)
    ap.add_argument("--per-practice", type=int, default=108)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--stages", action="store_true")
    a = ap.parse_args()
    t = time.perf_counter()
    _, pc, orgs = synthetic.make(n_resp=a.practices * a.per_practice, n_prac=a.practices,
                                 prac_per_pcn=5, pcn_per_place=6, place_per_ics=5)
    print(f"synthetic data: {time.perf_counter() - t:.1f}s, {len(pc)} profile rows")
    inds, dims = load_indicators(), load_dimensions()
    t = time.perf_counter()
    cells = finest_cells(pc, inds, dims)
    print(f"finest_cells: {time.perf_counter() - t:.2f}s, {len(cells)} cells")
    if a.stages:
        stages(cells, orgs, inds, dims)
    if a.full:
        t = time.perf_counter()
        rel = build_release(cells, orgs, ReleaseParams())
        print(f"build_release: {time.perf_counter() - t:.1f}s {rel.timings}")
        print(rel.audit.as_dict())
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def stages(cells, orgs, inds, dims):
    import survey.analysis.release as R
    from survey.disclosure import engine as E
    from survey.disclosure.exact import block_labels

    def fake(values, rel, primary, counts=None, cost=None, reluctant=None, **kw):
        t = time.perf_counter()
        status = np.where(primary, E.PRIMARY, E.OK).astype(np.int8)
        blocked = reluctant
        E.cheap_pass(rel, status, cost + np.where(reluctant, 1e15, 0), np.zeros(len(values), bool))
        t1 = time.perf_counter()
        rx, ry = E.required_widths(values, counts, rel, status, 2.0, blocked)
        added = E.slack_pass(rel, status, values, counts, cost, blocked, rx, ry)
        t2 = time.perf_counter()
        sup = status != E.OK
        lab, _ = block_labels(rel, sup, len(values))
        sizes = np.bincount(lab[sup]); sizes = np.sort(sizes[sizes > 0])
        t3 = time.perf_counter()
        print(f"cells {len(values)}, relations {rel.n_rel}, members {len(rel.rel)}")
        print(f"primary {int(primary.sum())}, after cheap pass {int(sup.sum())} (remainder pass added {added})")
        print(f"cheap pass {t1 - t:.2f}s, widths+remainder pass {t2 - t1:.2f}s, blocks {t3 - t2:.2f}s")
        print(f"blocks {len(sizes)}, largest {sizes[-5:].tolist()}, cells in blocks > 300: {int(sizes[sizes > 300].sum())}")
        raise SystemExit(0)
    R.protect = fake
    t = time.perf_counter()
    try:
        R.build_release(cells, orgs, ReleaseParams())
    except SystemExit:
        pass
    print(f"rollup + relations + vectorised passes: {time.perf_counter() - t:.1f}s")


if __name__ == "__main__":
    main()
