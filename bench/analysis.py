"""Benchmark: a national-scale release, end to end, in one run.

    .venv/bin/python bench/analysis.py                      # SQLite file in a temp dir
    .venv/bin/python bench/analysis.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Builds synthetic data (700,000 responses, 6,500 practices in 1,250 PCNs, 42 ICSs, every
characteristic, real group differences) in a separate process with bulk inserts
(executemany on SQLite, COPY on PostgreSQL; not measured), then in this process measures
wall time and peak memory (resident set, resource.getrusage) for:
  aggregation        the wave's one GROUP BY (survey.releases.aggregate.profile_counts)
  suppression+audit  finest_cells + build_release of the analysis core (+ response rates)
  store              freezing the release into the database
  writing            indicators.csv, indicators.xlsx, response_rates.csv, one SVG per indicator
and, for comparison, a plain DuckDB GROUP BY computing the same finest-cell counts over the
same responses held in memory (and a pandas one). Ends with one line:
  RESULT release_s=... peak_mb=... agg_ratio=...
release_s = aggregation + suppression/audit + store + writing; peak_mb = the process's
peak resident memory up to the end of writing, plus the peak of the child process that
writes a big workbook (as it reports it), as if both peaks came at once;
agg_ratio = aggregation / DuckDB group-by.

    --aggregation-only     skip the release: time the aggregation and the DuckDB group-by only,
                           ending with  RESULT db=... agg_s=... duckdb_s=... agg_ratio=...
    --repeat N             (with --aggregation-only) N timings of each, taken in turn, medians
    --reuse-instance DIR   keep the data in DIR (SQLite file there by default) and skip the
                           setup when DIR already holds data built with the same parameters
    --rebuild              measure a rebuild on top of the wave's latest release (kept every
                           earlier suppression); by default earlier runs' releases are deleted
                           first, so the run measures a wave's first release
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import statistics
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WAVE_NAME = "National benchmark 2024"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class ChildPeaks(logging.Handler):
    """The peaks the workbook's child process reports (survey.releases.workbook logs them).
    getrusage(RUSAGE_CHILDREN) cannot tell: it counts the instant a child spends as a copy
    of this process before it starts its own program."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.peaks: list[float] = []

    def emit(self, record):
        if getattr(record, "child_peak_mb", None) is not None:
            self.peaks.append(record.child_peak_mb)


def make_app(url: str, instance: Path):
    from survey import create_app
    from survey.crypto import KeyRing
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": url,
                       "SECRET_KEY": "bench", "TOKEN_PEPPER": "bench-t", "ACCESS_KEY_PEPPER": "bench-a",
                       "ENCRYPTION_KEYS": [KeyRing.generate_key()], "SERVER_NAME": "localhost"})


# --- setup (child process, not measured) -----------------------------------------------------

def setup(url: str, instance: Path, args) -> None:
    import numpy as np
    from sqlalchemy import text
    from bench.synthetic import RESPONSE_COLUMNS, build_hierarchy, response_rows, responses
    from survey.db import Base
    from survey.definitions import find_survey

    app = make_app(url, instance)
    engine = app.extensions["survey.engine"]
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    h = build_hierarchy(rng, n_ics=args.ics, n_pcn=args.pcns, n_practice=args.practices, n_responses=args.responses)
    cols = responses(rng, h)
    ids = {c: i + 1 for i, c in enumerate(h.codes)}
    today = dt.date.today()
    rows = response_rows(cols, 1, ids, today - dt.timedelta(days=40), rng)
    definition = find_survey(None, "staff-experience")
    pg = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        ph = "%s" if pg else "?"
        cur.executemany(f"INSERT INTO organisations (id, code, name, level, parent_id) VALUES ({ph},{ph},{ph},{ph},{ph})",
                        [(ids[c], c, n, lv, ids.get(p)) for c, n, lv, p in zip(h.codes, h.names, h.levels, h.parents)])
        cur.execute(f"INSERT INTO waves (id, name, survey_id, definition_json, mode, opens_on, closes_on, is_closed) "
                    f"VALUES (1, {ph}, {ph}, {ph}, 'invitation', {ph}, {ph}, {ph})",
                    (WAVE_NAME, definition.id, definition.to_json(), today - dt.timedelta(days=60),
                     today - dt.timedelta(days=30), True))
        invited = (h.practice_size * 1.6).astype(int)
        cur.executemany(f"INSERT INTO wave_organisations (wave_id, org_id, invited) VALUES (1, {ph}, {ph})",
                        [(ids[c], int(n)) for c, n in zip(h.practices, invited)])
        names = ",".join(RESPONSE_COLUMNS)
        if pg:
            with cur.copy(f"COPY responses ({names}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
        else:
            cur.executemany(f"INSERT INTO responses ({names}) VALUES ({','.join('?' * len(RESPONSE_COLUMNS))})", rows)
        raw.commit()
    finally:
        raw.close()
    if pg:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    print(f"setup: {len(rows):,} responses, {len(h.practices):,} practices, {args.pcns:,} PCNs, {args.ics} ICSs "
          f"in {time.perf_counter() - t0:.1f} s (not measured)", flush=True)


# --- the measured run ------------------------------------------------------------------------

def baseline(url: str, indicators, dimensions, repeat: int = 1, between=None) -> tuple[float, float, int]:
    """Plain group-bys for the same finest cells: DuckDB and pandas over the rows in memory.
    With repeat > 1 the DuckDB group-by is timed that many times and the median returned;
    `between()` runs before each timing (to interleave the aggregation on a shared machine)."""
    import duckdb
    import pandas as pd
    from sqlalchemy import create_engine
    from sqlalchemy.dialects import postgresql
    from survey.models.responses import DEMOGRAPHIC_COLUMNS
    from survey.releases.coding import predicate_sql

    engine = create_engine(url)
    with engine.connect() as conn:
        responses = pd.read_sql("SELECT * FROM responses WHERE wave_id = 1", conn)
    engine.dispose()
    demo = ", ".join(DEMOGRAPHIC_COLUMNS)

    def sql(p):
        return str(predicate_sql(p).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))

    sums = ", ".join(f"SUM(CASE WHEN {sql(i.base)} THEN 1 ELSE 0 END) AS \"{k}__base\", "
                     f"SUM(CASE WHEN {sql(i.numerator)} THEN 1 ELSE 0 END) AS \"{k}__num\""
                     for k, i in indicators.items())
    query = f"SELECT org_id, {demo}, COUNT(*) AS n, {sums} FROM responses GROUP BY org_id, {demo}"
    con = duckdb.connect()
    con.register("responses", responses)
    con.sql(query).df()                      # warm up (plans, threads)
    times = []
    for _ in range(max(1, repeat)):
        if between is not None:
            between()
        t0 = time.perf_counter()
        out = con.sql(query).df()
        times.append(time.perf_counter() - t0)
    duck = statistics.median(times)
    if repeat > 1:
        print(f"DuckDB group-by timings: {', '.join(f'{t:.2f}' for t in times)} s")
    t0 = time.perf_counter()
    flags = pd.DataFrame({"org_id": responses["org_id"]})
    for c in DEMOGRAPHIC_COLUMNS:
        flags[c] = responses[c].fillna("")
    flags["n"] = 1
    for k, i in indicators.items():
        flags[f"{k}__base"] = i.base.evaluate(responses).astype("int32")
        flags[f"{k}__num"] = i.numerator.evaluate(responses).astype("int32")
    pd_out = flags.groupby(["org_id", *DEMOGRAPHIC_COLUMNS], sort=False).sum()
    pand = time.perf_counter() - t0
    assert len(pd_out) == len(out)
    return duck, pand, len(out)


def measure(url: str, instance: Path, args) -> None:
    from survey.analysis import load_dimensions, load_indicators
    from survey.models import Wave
    from survey.releases.build import build_wave_release, params_from_config
    from survey.releases.outputs import write_release_files

    app = make_app(url, instance)
    with app.app_context():
        session = app.extensions["survey.sessionmaker"]()
        wave = session.get(Wave, 1)
        print(f"after imports: peak {peak_mb():.0f} MB", flush=True)
        if args.aggregation_only:            # the release is skipped: aggregation and baseline only
            return aggregation_only(session, url, args)
        if not args.rebuild:                 # a first release, whatever earlier runs left in DIR
            forget_releases(session, wave.id)
        t0 = time.perf_counter()
        if args.profile:
            from pyinstrument import Profiler
            profiler = Profiler()
            profiler.start()
        try:
            built = build_wave_release(session, wave, params_from_config(app.config), rebuild=True)
        except (MemoryError, Exception) as exc:   # the core failing is a result too: say so, measure the rest
            session.rollback()
            print(f"release FAILED after {time.perf_counter() - t0:.1f} s: {type(exc).__name__}: {str(exc)[:300]}")
            return failed_release(session, url, args)
        session.commit()
        t_build = time.perf_counter() - t0
        tm = built.timings
        print(f"aggregation        {tm['aggregate_s']:7.2f} s   ({tm['profiles']:,} profile rows)")
        core = tm.get("core", {})
        print(f"suppression+audit  {tm['protect_s']:7.2f} s   ({tm['cells']:,} published cells; core: rollup "
              f"{core.get('rollup_s', 0):.2f}, protect {core.get('protect_s', 0):.2f}, output {core.get('output_s', 0):.2f})")
        print(f"store (freeze)     {tm['store_s']:7.2f} s")
        out_dir = Path(tempfile.mkdtemp(prefix="bench-release-"))
        children = ChildPeaks()
        xlsx_log = logging.getLogger("survey.releases.workbook")
        xlsx_log.addHandler(children)
        xlsx_log.setLevel(logging.INFO)
        t1 = time.perf_counter()
        paths = write_release_files(session, wave, built.release, out_dir)
        t_write = time.perf_counter() - t1
        if args.profile:
            profiler.stop()
            (instance / "profile.html").write_text(profiler.output_html())
            print(f"profile: {instance / 'profile.html'}")
        sizes = sum(p.stat().st_size for p in paths)
        print(f"writing            {t_write:7.2f} s   ({len(paths)} files, {sizes / 1e6:.1f} MB in {out_dir})")
        release_s = t_build + t_write
        child = max(children.peaks, default=0.0)
        peak = peak_mb() + child
        print(f"whole release      {release_s:7.2f} s   peak {peak:.0f} MB (resident set: {peak - child:.0f} MB this "
              f"process, {child:.0f} MB the workbook's child process)", flush=True)
        session.close()
        dims = load_dimensions()
        inds = load_indicators(dimensions=dims)
    duck, pand, groups = baseline(url, inds, dims)
    print(f"plain DuckDB group-by {duck:.2f} s, pandas group-by {pand:.2f} s ({groups:,} groups, rows in memory)")
    ratio = tm["aggregate_s"] / duck
    print(f"aggregation / DuckDB = {ratio:.2f}; aggregation / pandas = {tm['aggregate_s'] / pand:.2f}")
    print(f"RESULT release_s={release_s:.2f} peak_mb={peak:.0f} agg_ratio={ratio:.2f}")


def forget_releases(session, wave_id: int) -> None:
    """Delete the wave's earlier releases (from earlier runs on a reused instance), so the
    run measures a first release rather than a rebuild on top of an earlier pattern."""
    from sqlalchemy import delete, select
    from survey.models.releases import Release, ReleasePart
    ids = list(session.scalars(select(Release.id).where(Release.wave_id == wave_id)))
    if ids:
        session.execute(delete(ReleasePart).where(ReleasePart.release_id.in_(ids)))
        session.execute(delete(Release).where(Release.id.in_(ids)))
        session.commit()


def failed_release(session, url, args) -> None:
    """The analysis core could not build the release: time the aggregation on its own."""
    agg, duck, peak = time_aggregation(session, url, args)
    print(f"RESULT release_s=failed peak_mb={peak:.0f} agg_ratio={agg / duck:.2f}")


def aggregation_only(session, url, args) -> None:
    """--aggregation-only: the aggregation and the DuckDB group-by, nothing else."""
    agg, duck, peak = time_aggregation(session, url, args, repeat=args.repeat)
    db = url.split(":", 1)[0].split("+", 1)[0]
    print(f"RESULT db={db} agg_s={agg:.2f} duckdb_s={duck:.2f} agg_ratio={agg / duck:.2f} peak_mb={peak:.0f}")


def time_aggregation(session, url, args, repeat: int = 1) -> tuple[float, float, float]:
    """(aggregation s, DuckDB s, peak MB after the aggregation). With repeat > 1: after a
    first aggregation (the peak is read after it), `repeat` pairs of aggregation and DuckDB
    group-by taken in turn, so that both see the same load; medians."""
    from survey.analysis import load_dimensions, load_indicators
    from survey.models import Wave
    from survey.releases.aggregate import profile_counts
    from survey.releases.build import asked_questions
    dims = load_dimensions()
    inds = load_indicators(dimensions=dims)
    asked = asked_questions(session.get(Wave, 1))
    times = []

    def aggregate() -> int:
        t0 = time.perf_counter()
        rows = len(profile_counts(session, 1, inds, dims, asked))
        times.append(time.perf_counter() - t0)
        session.rollback()                   # a fresh transaction (and snapshot) per run
        return rows

    rows = aggregate()
    print(f"aggregation        {times[0]:7.2f} s   ({rows:,} profile rows)")
    peak = peak_mb()
    if repeat > 1:
        times.clear()
        duck, pand, groups = baseline(url, inds, dims, repeat=repeat, between=aggregate)
        print(f"aggregation timings: {', '.join(f'{t:.2f}' for t in times)} s (each before one DuckDB timing)")
        session.close()
    else:
        session.close()
        duck, pand, groups = baseline(url, inds, dims)
    agg = statistics.median(times)
    print(f"plain DuckDB group-by {duck:.2f} s, pandas group-by {pand:.2f} s ({groups:,} groups, rows in memory)")
    print(f"aggregation / DuckDB = {agg / duck:.2f}; aggregation / pandas = {agg / pand:.2f}")
    return agg, duck, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    ap.add_argument("--responses", type=int, default=700_000)
    ap.add_argument("--practices", type=int, default=6_500)
    ap.add_argument("--pcns", type=int, default=1_250)
    ap.add_argument("--ics", type=int, default=42)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--profile", action="store_true", help="pyinstrument profile of the measured part (HTML)")
    ap.add_argument("--aggregation-only", action="store_true",
                    help="skip the release: time only the aggregation and the DuckDB group-by")
    ap.add_argument("--repeat", type=int, default=1,
                    help="with --aggregation-only: time each N times, in turn, and report the medians")
    ap.add_argument("--rebuild", action="store_true",
                    help="measure a rebuild on top of the wave's latest release (default: a first release)")
    ap.add_argument("--reuse-instance", metavar="DIR",
                    help="keep the data in DIR; skip the setup when DIR holds data built with the same parameters")
    ap.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--instance", help=argparse.SUPPRESS)
    args = ap.parse_args()
    instance = Path(args.instance or args.reuse_instance or tempfile.mkdtemp(prefix="bench-analysis-"))
    url = args.database_url or f"sqlite:///{instance / 'bench.db'}"
    if args.setup_only:
        setup(url, instance, args)
        return
    stamp = {"url": url, "responses": args.responses, "practices": args.practices, "pcns": args.pcns,
             "ics": args.ics, "seed": args.seed}
    marker = instance / "bench-setup.json"
    if args.reuse_instance and marker.exists() and json.loads(marker.read_text()) == stamp:
        print(f"setup: reusing the data in {instance} (built earlier with the same parameters)", flush=True)
    else:
        marker.unlink(missing_ok=True)
        cmd = [sys.executable, __file__, "--setup-only", "--instance", str(instance), "--database-url", url,
               "--responses", str(args.responses), "--practices", str(args.practices), "--pcns", str(args.pcns),
               "--ics", str(args.ics), "--seed", str(args.seed)]
        subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if args.reuse_instance:
            marker.write_text(json.dumps(stamp))
    measure(url, instance, args)


if __name__ == "__main__":
    main()
