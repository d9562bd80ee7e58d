"""Whole survey submissions under load, on SQLite and on PostgreSQL, beside a bare endpoint.

For each database: a fresh instance (`flask --app survey init`, organisations, a wave of
the shipped staff-experience survey, fresh one-time tokens from `tokens issue`), served by
gunicorn with gunicorn.conf.py and 2 workers. 16 concurrent clients each walk the real
journey with the real forms and CSRF tokens (token link, privacy page, every section page,
check answers, submit, thank-you page) for a fixed time. Afterwards the database must hold
exactly one response per acknowledged submission and no used token without a response.
In the same run a bare Flask endpoint (bench/bare_app.py) is served by gunicorn with the
same settings file and worker count and driven by the same 16 clients, as the yardstick.

    .venv/bin/python bench/submit.py [--seconds 20] [--clients 16] [--max 4000] [--db sqlite,postgresql]

Prints one `RESULT db=...` line per database. Targets: errors=0, rate_ratio >= 0.3,
p99_ms < 100. PostgreSQL: 127.0.0.1:5432, user postgres (BENCH_PG_ADMIN overrides); a
database is created for the run and dropped after it.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (Client, Server, cpu_seconds, csrf_token, inputs, issue_tokens,  # noqa: E402
                           make_instance, percentile, pg_available, pg_create, pg_drop, post_action)

WORKERS = 2
FIRST_PAGE_RE = re.compile(r'href="(/respond/page/\d+)"')
TEXTAREA_RE = re.compile(r'<textarea\b[^>]*name="([^"]+)"')
COMMENTS = ["The rota changes at short notice.", "Good team, too little time.", "More training on the new system, please."]


class JourneyError(Exception):
    pass


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings: list[tuple[str, float]] = []
        self.acknowledged = 0
        self.started = 0
        self.errors: Counter[str] = Counter()

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1


def _fill(html: str, rng: random.Random) -> list[tuple[str, str]]:
    """Answers for one page as a person might give them: most radios answered, a few
    boxes ticked, now and then a comment."""
    form = [("csrf_token", csrf_token(html))]
    groups: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for attrs in inputs(html):
        kind, name = attrs.get("type", "text"), attrs.get("name")
        if not name or name == "csrf_token":
            continue
        if kind == "hidden":
            form.append((name, attrs.get("value", "")))
        elif kind in ("radio", "checkbox"):
            groups.setdefault(name, []).append(attrs.get("value", ""))
            kinds[name] = kind
    for name, values in groups.items():
        if kinds[name] == "radio":
            if rng.random() < 0.9:
                form.append((name, rng.choice(values)))
        else:
            for v in rng.sample(values, k=min(len(values), rng.choice((0, 1, 1, 2)))):
                form.append((name, v))
    for name in TEXTAREA_RE.findall(html):
        if rng.random() < 0.3:
            form.append((name, rng.choice(COMMENTS)))
    return form


class Abandoned(Exception):
    """The load ended before this journey reached its submit: it is dropped unsent."""


class Gate:
    """Lets survey requests through only while a survey phase runs. Clients keep their
    journeys across phases (a person does not start again because the bench paused);
    when the run ends, a journey that has not sent its submit is abandoned."""

    def __init__(self):
        self.cond = threading.Condition()
        self.is_open = False
        self.finished = False
        self.in_flight = 0

    def enter(self, committed: bool) -> bool:
        """Wait for an open phase; True if the request is to be recorded."""
        with self.cond:
            while not (self.is_open or self.finished):
                self.cond.wait()
            if not self.is_open:
                if not committed:
                    raise Abandoned()
                return False
            self.in_flight += 1
            return True

    def leave(self) -> None:
        with self.cond:
            self.in_flight -= 1
            self.cond.notify_all()

    def open(self) -> None:
        with self.cond:
            self.is_open = True
            self.cond.notify_all()

    def close(self) -> None:
        """Stop new requests and wait for those in flight."""
        with self.cond:
            self.is_open = False
            while self.in_flight:
                self.cond.wait()

    def finish(self) -> None:
        with self.cond:
            self.finished = True
            self.cond.notify_all()


class Journey:
    """One person's walk through the survey with one token."""

    def __init__(self, client, rng: random.Random, timings: list, gate: Gate | None = None):
        self.client, self.rng, self.timings, self.gate = client, rng, timings, gate
        self.committed = False

    def step(self, kind: str, method: str, path: str, expect: int, form=None) -> tuple[str, str | None]:
        record = self.gate.enter(self.committed) if self.gate else True
        try:
            status, body, location = self.client.request(method, path, form)
        finally:
            if self.gate and record:
                self.gate.leave()
        if record:
            self.timings.append((kind, self.client.timings[-1]))
        if status != expect:
            raise JourneyError(f"{method} {kind}: {status} (expected {expect})")
        return body, location

    def run(self, token: str) -> None:
        step = self.step
        _body, loc = step("token link", "GET", f"/respond/t/{token}", 302)
        body, _ = step("privacy", "GET", loc or "/respond/", 200)
        m = FIRST_PAGE_RE.search(body)
        if not m:
            raise JourneyError("privacy page without a start link")
        path = m.group(1)
        for _ in range(60):
            if path.startswith("/respond/check"):
                break
            body, _ = step("GET page", "GET", path, 200)
            _body, path = step("POST page", "POST", post_action(body), 302, _fill(body, self.rng))
            if not path:
                raise JourneyError("a page POST without a redirect")
        else:
            raise JourneyError("no check page after 60 pages")
        body, _ = step("check", "GET", path, 200)
        form = [("csrf_token", csrf_token(body))]
        if self.gate:
            self.gate.enter(False)      # not after the end of the run: abandon instead
            self.gate.leave()
        self.committed = True
        _body, loc = step("submit", "POST", "/respond/submit", 302, form)
        if loc != "/respond/done":
            raise JourneyError(f"submit redirected to {loc}")
        body, _ = step("thank you", "GET", loc, 200)
        if "Answers submitted" not in body:
            raise JourneyError("thank-you page without its heading")


def one_submission(client, token: str, rng: random.Random, timings: list) -> None:
    Journey(client, rng, timings).run(token)


def survey_worker(port: int, tokens: list[str], lock: threading.Lock, gate: Gate, max_count: int,
                  stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(port)
    while not gate.finished:
        with lock:
            if not tokens or stats.started >= max_count:
                break
            token = tokens.pop()
            stats.started += 1
        client.cookies.clear()          # a new person, a new browser
        timings: list[tuple[str, float]] = []
        try:
            Journey(client, rng, timings, gate).run(token)
        except Abandoned:
            pass
        except JourneyError as exc:
            stats.error(str(exc))
        except Exception as exc:  # connection refused or reset, timeout, a page we cannot read
            stats.error(f"{type(exc).__name__}: {exc}"[:120])
            client.close()
        else:
            with stats.lock:
                stats.acknowledged += 1
        with stats.lock:
            stats.timings.extend(timings)
    client.close()


def bare_worker(port: int, deadline: float, out: list, errors: Counter, lock: threading.Lock) -> None:
    client = Client(port)
    n_err = 0
    while time.monotonic() < deadline:
        try:
            status, body, _ = client.request("GET", "/")
            if status != 200 or body != "ok":
                n_err += 1
        except Exception as exc:
            n_err += 1
            client.close()
            errors[type(exc).__name__] += 1
    with lock:
        out.extend(client.timings)
        errors["bad response"] += n_err
    client.close()


def run_threads(target, n: int, *args) -> float:
    threads = [threading.Thread(target=target, args=args + (i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def busy_cores_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far (all processes, /proc/stat)."""
    import os
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def count_rows(database_url: str) -> tuple[int, int, int]:
    """(responses, used tokens, drafts left) in the bench instance's database."""
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url)
    with engine.connect() as conn:
        responses = conn.execute(text("SELECT count(*) FROM responses")).scalar_one()
        used = conn.execute(text("SELECT count(*) FROM invitations WHERE is_used")).scalar_one()
        drafts = conn.execute(text("SELECT count(*) FROM drafts")).scalar_one()
    engine.dispose()
    return responses, used, drafts


class Phases:
    """Survey and bare-endpoint load in alternating slices, so that whatever else the
    machine is doing weighs on both measurements alike."""

    def __init__(self):
        self.wall = 0.0
        self.client_cpu = 0.0
        self.server_cpu = 0.0
        self.other_cpu = 0.0

    def run(self, server: Server, n: int, target) -> None:
        cpu0, server0, busy0 = time.process_time(), server.cpu_seconds(), busy_cores_seconds()
        wall = run_threads(target, n)
        client = time.process_time() - cpu0
        srv = server.cpu_seconds() - server0
        self.wall += wall
        self.client_cpu += client
        self.server_cpu += srv
        self.other_cpu += max(0.0, busy_cores_seconds() - busy0 - client - srv)


def run_config(db: str, args, tmp: Path) -> dict:
    work = tmp / db
    work.mkdir()
    pg_name = None
    if db == "postgresql":
        pg_name = f"bench_submit_{uuid.uuid4().hex[:10]}"
        url = pg_create(pg_name)
    else:
        url = f"sqlite:///{work / 'instance' / 'survey.db'}"
    try:
        env = make_instance(work, url)
        tokens = issue_tokens(env, work, args.max + args.clients)
        bare_server = Server(env, WORKERS, work / "bare-gunicorn.log", app="bench.bare_app:app")
        server = Server(env, WORKERS, work / "gunicorn.log")
        try:
            stats = Stats()
            lock = threading.Lock()
            # Warm-up: a few bare requests, one whole submission per client (templates
            # compiled, connections pooled). Counted in the storage check, not in the figures.
            warm = Client(bare_server.port)
            for _ in range(100):
                warm.request("GET", "/")
            warm.close()
            warm_gate = Gate()
            warm_gate.open()
            run_threads(lambda i: survey_worker(server.port, tokens, lock, warm_gate, args.clients, stats, 1000 + i),
                        args.clients)
            stats.started = 0
            stats.timings.clear()
            survey, bare = Phases(), Phases()
            bare_timings: list[float] = []
            bare_errors: Counter[str] = Counter()
            gate = Gate()
            clients = [threading.Thread(target=survey_worker, args=(server.port, tokens, lock, gate, args.max, stats, i))
                       for i in range(args.clients)]
            for t in clients:
                t.start()
            for _phase in range(args.phases):
                deadline = time.monotonic() + args.bare_seconds / args.phases
                bare.run(bare_server, args.clients,
                         lambda i: bare_worker(bare_server.port, deadline, bare_timings, bare_errors, lock))
                survey.run(server, 1, lambda i: (gate.open(), time.sleep(args.seconds / args.phases), gate.close()))
            gate.finish()
            for t in clients:
                t.join()
        finally:
            server.stop()
            bare_server.stop()
        responses, used, drafts = count_rows(url)
    finally:
        if pg_name:
            pg_drop(pg_name)

    measured = sum(1 for kind, _ in stats.timings if kind == "submit")   # submits sent in the measured slices
    times = sorted(t for _, t in stats.timings)
    bare_timings.sort()
    by_kind: dict[str, list[float]] = {}
    for kind, t in stats.timings:
        by_kind.setdefault(kind, []).append(t)
    storage_ok = responses == stats.acknowledged and used == responses
    errors = sum(stats.errors.values()) + (0 if storage_ok else 1)
    rps = len(times) / survey.wall
    bare_rps = len(bare_timings) / bare.wall
    return {
        "db": db, "rps": rps, "ratio": rps / bare_rps, "submissions_per_s": measured / survey.wall,
        "bare": {"rps": bare_rps, "p50": percentile(bare_timings, 50) * 1000, "p99": percentile(bare_timings, 99) * 1000,
                 "errors": sum(bare_errors.values()), "client_cpu": bare.client_cpu / bare.wall,
                 "server_cpu": bare.server_cpu / bare.wall, "other_cpu": bare.other_cpu / bare.wall,
                 "wall": bare.wall},
        "p50": percentile(times, 50) * 1000, "p95": percentile(times, 95) * 1000, "p99": percentile(times, 99) * 1000,
        "errors": errors, "error_kinds": dict(stats.errors), "acknowledged": stats.acknowledged,
        "responses": responses, "used": used, "drafts": drafts, "storage_ok": storage_ok,
        "requests": len(times), "wall": survey.wall, "client_cpu": survey.client_cpu / survey.wall,
        "server_cpu": survey.server_cpu / survey.wall, "other_cpu": survey.other_cpu / survey.wall,
        "server_ms": survey.server_cpu / max(1, len(times)) * 1000,
        "bare_server_ms": bare.server_cpu / max(1, len(bare_timings)) * 1000,
        "by_kind": {k: (len(v), percentile(sorted(v), 50) * 1000, percentile(sorted(v), 99) * 1000)
                    for k, v in by_kind.items()},
    }


def report(r: dict) -> None:
    b = r["bare"]
    print(f"\n== {r['db']}: {r['acknowledged']} acknowledged submissions in all, {r['submissions_per_s']:.1f}/s over the "
          f"{r['wall']:.1f} s measured")
    print(f"   survey: {r['requests']} requests, {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
          f"p99 {r['p99']:.1f} ms; server {r['server_ms']:.2f} ms CPU/request")
    print(f"   bare endpoint: {b['rps']:.0f} req/s over {b['wall']:.1f} s, p50 {b['p50']:.1f} ms, p99 {b['p99']:.1f} ms, "
          f"errors {b['errors']}; server {r['bare_server_ms']:.2f} ms CPU/request")
    print(f"   CPU in cores (of {os.cpu_count()}), survey | bare: gunicorn {r['server_cpu']:.2f} | {b['server_cpu']:.2f}, "
          f"this client {r['client_cpu']:.2f} | {b['client_cpu']:.2f}, other processes {r['other_cpu']:.2f} | {b['other_cpu']:.2f}")
    print("   per request kind (count, p50/p99 ms): " + "; ".join(
        f"{k} {n} {p50:.0f}/{p99:.0f}" for k, (n, p50, p99) in r["by_kind"].items()))
    print(f"   stored: {r['responses']} responses, {r['used']} used tokens, {r['drafts']} drafts left "
          f"-> {'OK' if r['storage_ok'] else 'MISMATCH'} (acknowledged {r['acknowledged']})")
    if r["error_kinds"]:
        print("   errors: " + "; ".join(f"{k} x{n}" for k, n in r["error_kinds"].items()))
    print(f"RESULT db={r['db']} rate_ratio={r['ratio']:.2f} p99_ms={r['p99']:.0f} errors={r['errors']} "
          f"submissions_per_s={r['submissions_per_s']:.1f} p50_ms={r['p50']:.1f} p95_ms={r['p95']:.0f} "
          f"survey_rps={r['rps']:.0f} bare_rps={b['rps']:.0f} server_ms_per_request={r['server_ms']:.2f} "
          f"client_cpu={r['client_cpu']:.2f} other_cpu={r['other_cpu']:.2f} stored_ok={int(r['storage_ok'])}")


def profile(args, tmp: Path) -> None:
    """Run whole submissions in this process through the real app (no gunicorn, no
    sockets) under pyinstrument, and print where the time goes."""
    from pyinstrument import Profiler
    from bench._common import WsgiClient
    work = tmp / "profile"
    work.mkdir()
    env = make_instance(work, f"sqlite:///{work / 'instance' / 'survey.db'}")
    tokens = issue_tokens(env, work, args.profile + 5)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})
    from survey import create_app
    app = create_app()
    client = WsgiClient(app.wsgi_app)
    rng = random.Random(7)
    for _ in range(5):   # warm-up: templates compiled, definition parsed
        client.cookies.clear()
        one_submission(client, tokens.pop(), rng, [])
    timings: list = []
    profiler = Profiler(interval=0.0005)
    profiler.start()
    t0 = time.perf_counter()
    for _ in range(args.profile):
        client.cookies.clear()
        one_submission(client, tokens.pop(), rng, timings)
    wall = time.perf_counter() - t0
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("BENCH_PROFILE_ALL"))))
    per = sorted(t for _, t in timings)
    print(f"{args.profile} submissions in process: {len(per)} requests, {wall / len(per) * 1000:.2f} ms/request "
          f"(p50 {percentile(per, 50) * 1000:.2f} ms, p99 {percentile(per, 99) * 1000:.2f} ms)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20, help="measured survey load per database (default 20)")
    ap.add_argument("--bare-seconds", type=float, default=10, help="bare endpoint load per database (default 10)")
    ap.add_argument("--phases", type=int, default=4, help="alternate survey and bare load in this many slices")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--max", type=int, default=4000, help="at most this many submissions per database")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="instead: profile N submissions in process with pyinstrument (SQLite)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    if args.profile:
        try:
            profile(args, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return 0
    print(f"gunicorn.conf.py with {WORKERS} workers, {args.clients} clients, {args.seconds:g} s per database; work in {tmp}")
    failed = 0
    try:
        for db in [d.strip() for d in args.db.split(",") if d.strip()]:
            if db == "postgresql" and not pg_available():
                print("RESULT db=postgresql skipped=1 reason=no_server_at_127.0.0.1:5432")
                failed = 1
                continue
            r = run_config(db, args, tmp)
            report(r)
            failed |= r["errors"] > 0 or r["ratio"] < 0.3 or r["p99"] >= 100
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
