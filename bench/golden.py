"""Does a change to the code release the same numbers? Builds releases with the code of
two commits on the same data and compares every published cell. A measurement for
refactoring (issue 19's guard rail), not a test: it takes a few minutes.

    .venv/bin/python bench/golden.py --against REV      (REV: a commit from cdc53b1 on)

The data: the demo's closed waves (a fresh `flask --app survey demo` instance, built the
way the worker does, with the answers per organisation) and a seeded synthetic region
(bench/synthetic.py: 1 ICS, 25 PCNs, 120 practices, 12,000 responses, every
characteristic). For each release, the table a reader downloads (indicators.csv's
numbers and status words), the gaps and the response rates are compared cell for cell.
REV's code is checked out into a temporary worktree and run in a child process with that
worktree first on the path; this tree's code runs in another. Ends with
  RESULT releases=... cells=... differing=...
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def build_all(out: Path) -> None:
    """In the child: every release of the data, written as CSV under `out`."""
    from bench.comparisons import releases
    from bench._common import flask_cli, instance_env
    from tests.support import planted as seeded
    instance = out / "instance"
    flask_cli(instance_env(instance), "demo")
    for name, rel, _, _, _, (prof, orgs) in releases(instance):
        _write(out / name.replace(" ", "_"), rel, prof, orgs, seeded)
    rel, prof, orgs = _region()
    _write(out / "synthetic_region", rel, prof, orgs, seeded)


def _region():
    from bench import synthetic
    from survey.analysis import load_dimensions
    from tests.support import planted as seeded
    rng = np.random.default_rng(20261207)
    h = synthetic.build_hierarchy(rng, n_ics=1, n_pcn=25, n_practice=120, n_responses=12_000)
    cols = synthetic.responses(rng, h)
    frame = pd.DataFrame({k: v for k, v in cols.items() if len(np.shape(v)) == 1})
    frame = frame.rename(columns={"practice": "org_code"}).replace({"": None})
    orgs = pd.DataFrame({"code": h.codes, "name": h.names, "level": h.levels, "parent_code": h.parents})
    rel, _, prof = seeded.release_of(frame.to_dict("records"), orgs, dims=tuple(load_dimensions()))
    return rel, prof, orgs


def _write(folder: Path, rel, prof, orgs, seeded) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    seeded.as_downloaded(rel.table).to_csv(folder / "table.csv", index=False)
    rel.gaps.to_csv(folder / "gaps.csv", index=False)
    seeded.published_answers(prof, rel, orgs).to_csv(folder / "rates.csv", index=False)


def compare(old: Path, new: Path) -> tuple[int, int, int]:
    releases = cells = differing = 0
    for folder in sorted(p for p in new.iterdir() if p.is_dir() and p.name != "instance"):
        other = old / folder.name
        releases += 1
        for part in ("table.csv", "gaps.csv", "rates.csv"):
            a = pd.read_csv(other / part, keep_default_na=False, dtype=str) if (other / part).exists() else None
            b = pd.read_csv(folder / part, keep_default_na=False, dtype=str)
            cells += b.size
            if a is None or a.shape != b.shape or list(a.columns) != list(b.columns):
                print(f"{folder.name}/{part}: shapes differ ({None if a is None else a.shape} against {b.shape})")
                differing += b.size
                continue
            diff = (a != b).to_numpy()
            if diff.any():
                rows = np.flatnonzero(diff.any(axis=1))
                print(f"{folder.name}/{part}: {int(diff.sum())} cells differ, e.g.\n"
                      f"{pd.concat([a.iloc[rows[:3]], b.iloc[rows[:3]]], keys=['before', 'after']).to_string()}")
                differing += int(diff.sum())
            else:
                print(f"{folder.name}/{part}: {b.size} cells, the same")
    return releases, cells, differing


def _child(code: Path, out: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(code), str(ROOT)]))
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--build", str(out)], env=env, check=True,
                   cwd=code)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", default="HEAD", help="the commit to compare with (default: HEAD)")
    ap.add_argument("--build", help=argparse.SUPPRESS)        # the child's job
    args = ap.parse_args()
    if args.build:
        build_all(Path(args.build))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tree = tmp / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.against], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            _child(tree, tmp / "old")
            _child(ROOT, tmp / "new")
            releases, cells, differing = compare(tmp / "old", tmp / "new")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    print(f"RESULT releases={releases} cells={cells} differing={differing}")


if __name__ == "__main__":
    main()
