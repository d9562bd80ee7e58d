"""Slow hashing without a denial of service: how many access-key and staff-password checks
one worker absorbs, and whether the rate limits trip long before that.

1. In one process, with the production argon2id parameters of survey/config.py: the
   speak-up follow-up path (survey.concerns.find_case_by_key, wrong keys, limiter out of
   the way) and the staff password check (survey.auth.accounts.authenticate, wrong
   passwords) -> checks per second of one core.
2. Over HTTP against gunicorn (gunicorn.conf.py, 1 worker), with the real forms and CSRF:
   a) limits raised out of reach: attempts per second the worker absorbs;
   b) the production limits: how many attempts pass before the limit trips, that the
      rest are 429, and what a 429 costs (no argon2: milliseconds, not a hash).

    .venv/bin/python bench/slowhash.py [--seconds 6]

Prints `RESULT kind=access_key ...` and `RESULT kind=staff_password ...`.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Client, Server, csrf_token, make_instance  # noqa: E402

EMAIL = "guardian@bench.example"
PASSWORD = "correct horse battery staple"
UNLIMITED = "1000000/hour"


def per_second(limit: str) -> tuple[int, float, float]:
    """(amount, window seconds, attempts per second) of a limit such as '10/hour'."""
    from limits import parse
    item = parse(limit)
    return item.amount, float(item.get_expiry()), item.amount / item.get_expiry()


# --- 1. one process ---------------------------------------------------------------------

def in_process(env: dict, n: int) -> dict:
    """Checks per second of one core, and the staff account and case used over HTTP."""
    import pyotp
    from survey import create_app
    from survey.auth import accounts
    from survey.concerns import CaseNotFound, ConcernInput, find_case_by_key, raise_concern
    from survey.crypto import new_access_key
    from survey.db import session_scope
    from survey.extensions import access_key_hasher, keyring, password_hasher
    from survey.ratelimit import RateLimiter

    os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})
    app = create_app()
    cfg = app.config
    out = {"params": f"t={cfg['ARGON2_TIME_COST']},m={cfg['ARGON2_MEMORY_COST']}KiB,p={cfg['ARGON2_PARALLELISM']}"}
    with app.app_context():
        with session_scope() as db:
            case = raise_concern(db, keyring(), access_key_hasher(), ConcernInput(text="Bench concern"))
            out["reference"], out["key"] = case.reference, case.access_key
            user, token = accounts.create_user(db, cfg["TOKEN_PEPPER"], EMAIL, "guardian")
            secret = accounts.new_totp_secret()
            err = accounts.complete_setup(db, password_hasher(), keyring(), user, PASSWORD, secret, pyotp.TOTP(secret).now())
            assert err is None, err
        limiter = RateLimiter(None, "bench")
        with session_scope() as db:
            find_case_by_key(db, access_key_hasher(), limiter, out["reference"], out["key"], "c", UNLIMITED, UNLIMITED)
            cpu0, t0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                try:
                    find_case_by_key(db, access_key_hasher(), limiter, out["reference"], new_access_key(), "c",
                                     UNLIMITED, UNLIMITED)
                except CaseNotFound:
                    pass
            out["key_wall"], out["key_cpu"] = (time.perf_counter() - t0) / n, (time.process_time() - cpu0) / n
            cpu0, t0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                assert accounts.authenticate(db, password_hasher(), keyring(), EMAIL, "wrong " + secrets.token_hex(4),
                                             "123456") is None
            out["pw_wall"], out["pw_cpu"] = (time.perf_counter() - t0) / n, (time.process_time() - cpu0) / n
    return out


# --- 2. over HTTP -----------------------------------------------------------------------

def followup_attempt(client: Client, token: str, reference: str, key: str) -> tuple[int, float]:
    status, _body, _loc = client.request("POST", "/speakup/followup",
                                         [("csrf_token", token), ("reference", reference), ("key", key)])
    return status, client.timings[-1]


def signin_attempt(client: Client, token: str, email: str, password: str) -> tuple[int, float]:
    status, _body, _loc = client.request("POST", "/auth/sign-in",
                                         [("csrf_token", token), ("email", email), ("password", password), ("code", "123456")])
    return status, client.timings[-1]


def session_for(port: int, path: str) -> tuple[Client, str]:
    client = Client(port, timeout=120)
    status, body, _ = client.request("GET", path)
    assert status == 200, (path, status)
    return client, csrf_token(body)


def capacity(port: int, kind: str, reference: str, seconds: float, clients: int = 3) -> tuple[float, float]:
    """(attempts/s, median seconds per attempt) with the limits out of reach."""
    from survey.crypto import new_access_key
    done: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run():
        client, token = session_for(port, "/speakup/followup" if kind == "access_key" else "/auth/sign-in")
        while time.monotonic() < deadline:
            if kind == "access_key":
                status, took = followup_attempt(client, token, reference, new_access_key())
            else:
                status, took = signin_attempt(client, token, EMAIL, "wrong " + secrets.token_hex(4))
            with lock:
                done.append(took)
                statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    expected = 400 if kind == "access_key" else 200
    bad = [s for s in statuses if s != expected]
    assert not bad, f"unexpected statuses while measuring capacity: {sorted(set(bad))}"
    return len(done) / wall, statistics.median(done)


def trip(port: int, kind: str, reference: str, attempts: int, rotate: bool = False) -> dict:
    """Attempts from one client until well past the limit: statuses and timings."""
    from survey.concerns import new_reference
    from survey.crypto import new_access_key
    client, token = session_for(port, "/speakup/followup" if kind == "access_key" else "/auth/sign-in")
    results = []
    for i in range(attempts):
        if kind == "access_key":
            results.append(followup_attempt(client, token, new_reference() if rotate else reference, new_access_key()))
        else:
            email = f"nobody{i}@bench.example" if rotate else EMAIL
            results.append(signin_attempt(client, token, email, "wrong " + secrets.token_hex(4)))
    first_429 = next((i for i, (s, _) in enumerate(results) if s == 429), None)
    checked = [t for s, t in results if s != 429]
    limited = [t for s, t in results if s == 429]
    after = results[first_429:] if first_429 is not None else []
    return {"trips_after": first_429, "all_429_after": bool(after) and all(s == 429 for s, _ in after),
            "checked_ms": statistics.median(checked) * 1000 if checked else float("nan"),
            "limited_ms": statistics.median(limited) * 1000 if limited else float("nan"),
            "limited_max_ms": max(limited) * 1000 if limited else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=6, help="HTTP capacity measurement per kind (default 6)")
    ap.add_argument("--n", type=int, default=15, help="in-process checks per kind (default 15)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-slowhash-"))
    try:
        env = make_instance(tmp, f"sqlite:///{tmp / 'instance' / 'survey.db'}")
        local = in_process(env, args.n)
        from survey.config import Defaults
        limits = {"followup": Defaults.RATELIMIT_FOLLOWUP, "client": Defaults.RATELIMIT_FOLLOWUP_CLIENT,
                  "staff": Defaults.RATELIMIT_STAFF_LOGIN, "staff_client": Defaults.RATELIMIT_STAFF_LOGIN_CLIENT}
        print(f"argon2id {local['params']} (survey/config.py); limits: follow-up {limits['followup']} per reference, "
              f"{limits['client']} per client; staff sign-in {limits['staff']} per email address, "
              f"{limits['staff_client']} per client")
        print(f"one process: access-key check {local['key_wall'] * 1000:.0f} ms ({local['key_cpu'] * 1000:.0f} ms CPU), "
              f"password check {local['pw_wall'] * 1000:.0f} ms ({local['pw_cpu'] * 1000:.0f} ms CPU)")

        raised = dict(env, SURVEY_RATELIMIT_FOLLOWUP=UNLIMITED, SURVEY_RATELIMIT_FOLLOWUP_CLIENT=UNLIMITED,
                      SURVEY_RATELIMIT_STAFF_LOGIN=UNLIMITED, SURVEY_RATELIMIT_STAFF_LOGIN_CLIENT=UNLIMITED)
        server = Server(raised, 1, tmp / "gunicorn-unlimited.log")
        try:
            key_rate, key_med = capacity(server.port, "access_key", local["reference"], args.seconds)
            pw_rate, pw_med = capacity(server.port, "staff_password", local["reference"], args.seconds)
        finally:
            server.stop()
        print(f"gunicorn, 1 worker, limits out of reach, 3 clients: {key_rate:.1f} follow-up attempts/s "
              f"(median {key_med * 1000:.0f} ms), {pw_rate:.1f} sign-in attempts/s (median {pw_med * 1000:.0f} ms)")

        server = Server(env, 1, tmp / "gunicorn.log")
        try:
            ref_n, _w, _r = per_second(limits["followup"])
            cli_n, _w, cli_rate = per_second(limits["client"])
            staff_n, _w, _r = per_second(limits["staff"])
            staff_cli_n, _w, staff_rate = per_second(limits["staff_client"])
            one_ref = trip(server.port, "access_key", local["reference"], ref_n + 10)
            # A fresh worker for the per-client limit (the per-reference one has been used).
            server.stop()
            server = Server(env, 1, tmp / "gunicorn-2.log")
            many_refs = trip(server.port, "access_key", local["reference"], cli_n + 10, rotate=True)
            one_email = trip(server.port, "staff_password", "", staff_n + 10)
            # A fresh worker for the per-client sign-in limit (the attempts above count too).
            server.stop()
            server = Server(env, 1, tmp / "gunicorn-3.log")
            many_emails = trip(server.port, "staff_password", "", staff_cli_n + 10, rotate=True)
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def show(label, r):
        print(f"   {label}: limit trips after {r['trips_after']} attempts; then all 429: {r['all_429_after']}; "
              f"a checked attempt {r['checked_ms']:.0f} ms, a refused one {r['limited_ms']:.1f} ms (max {r['limited_max_ms']:.1f})")

    print("production limits, one client:")
    show("follow-up, one reference", one_ref)
    show("follow-up, a new reference each time", many_refs)
    show("sign-in, one email address", one_email)
    show("sign-in, a new email address each time", many_emails)
    # The most one client can make a worker hash: the per-client limits (a client rotating
    # references or email addresses meets them too).
    key_share = cli_rate / key_rate
    staff_share = 1.0 if many_emails["trips_after"] is None else staff_rate / pw_rate
    print(f"one client can use {key_share:.2%} of a worker's access-key capacity "
          f"({cli_n} per {int(per_second(limits['client'])[1])} s); clients needed to saturate a worker: {key_rate / cli_rate:,.0f}")
    print(f"one client can use {staff_share:.2%} of a worker's password capacity "
          f"({staff_cli_n} per {int(per_second(limits['staff_client'])[1])} s)")
    if many_emails["trips_after"] is None:
        print("   sign-in: one client rotating email addresses was never refused: it can keep a worker busy hashing")
    print(f"RESULT kind=access_key checks_per_s={1 / local['key_wall']:.1f} cpu_checks_per_s={1 / local['key_cpu']:.1f} "
          f"http_checks_per_s={key_rate:.1f} "
          f"limit_per_ref={limits['followup']} limit_per_client={limits['client']} "
          f"limit_trips_after={one_ref['trips_after']} client_limit_trips_after={many_refs['trips_after']} "
          f"client_share_of_worker={key_share:.5f} limited_ms={one_ref['limited_ms']:.1f} checked_ms={one_ref['checked_ms']:.0f} "
          f"all_429_after_limit={int(one_ref['all_429_after'] and many_refs['all_429_after'])}")
    print(f"RESULT kind=staff_password checks_per_s={1 / local['pw_wall']:.1f} cpu_checks_per_s={1 / local['pw_cpu']:.1f} "
          f"http_checks_per_s={pw_rate:.1f} "
          f"limit={limits['staff']} limit_per_client={limits['staff_client']} limit_trips_after={one_email['trips_after']} "
          f"rotating_emails_trips_after={many_emails['trips_after'] if many_emails['trips_after'] is not None else 'never'} "
          f"client_share_of_worker={staff_share:.5f} limited_ms={one_email['limited_ms']:.1f} "
          f"checked_ms={one_email['checked_ms']:.0f} all_429_after_limit={int(one_email['all_429_after'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
