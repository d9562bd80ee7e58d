"""Shared helpers for the benchmark scripts (bench/submit.py, pageweight.py, slowhash.py).

Everything here runs the app the way a deployment does: a fresh instance folder made by
`flask --app survey init`, organisations, a wave and tokens made with the CLI, gunicorn
started with the project's own gunicorn.conf.py. Nothing here is imported by the app.
"""
from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
ORGS_CSV = "code,name,level,parent_code\nBICS,Bench ICS,ics,\nBPL,Bench place,place,BICS\nBPCN,Bench PCN,pcn,BPL\n" \
           "BGP1,Bench practice 1,practice,BPCN\nBGP2,Bench practice 2,practice,BPCN\n"
WAVE = "Bench wave"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- instances -----------------------------------------------------------------------

def instance_env(instance: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env["SURVEY_INSTANCE_PATH"] = str(instance)
    if database_url:
        env["SURVEY_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str) -> str:
    """Run `flask --app survey ARGS` and return its output (raise with it on failure)."""
    proc = subprocess.run([str(BIN / "flask"), "--app", "survey", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def make_instance(tmp: Path, database_url: str | None = None, survey: str = "staff-experience",
                  **extra: str) -> dict[str, str]:
    """A fresh instance with the bench organisations and an open invitation wave."""
    env = instance_env(tmp / "instance", database_url, **extra)
    flask_cli(env, "init")
    orgs = tmp / "orgs.csv"
    orgs.write_text(ORGS_CSV)
    flask_cli(env, "orgs", "import", str(orgs))
    today = dt.date.today()
    flask_cli(env, "waves", "create", "--survey", survey, "--name", WAVE, "--orgs", "BICS",
              "--opens", str(today - dt.timedelta(days=1)), "--closes", str(today + dt.timedelta(days=30)))
    return env


def issue_tokens(env: dict[str, str], tmp: Path, count: int, org: str = "BGP1") -> list[str]:
    """Fresh one-time tokens through `tokens issue` (in batches of at most 10 000)."""
    tokens: list[str] = []
    while len(tokens) < count:
        n = min(10000, count - len(tokens))
        out = tmp / f"links-{uuid.uuid4().hex[:8]}.csv"
        flask_cli(env, "tokens", "issue", "--wave", WAVE, "--org", org, "--count", str(n), "--out", str(out))
        for line in out.read_text().splitlines()[1:]:
            tokens.append(line.strip().rsplit("/", 1)[-1])
        out.unlink()
    return tokens


# --- PostgreSQL ------------------------------------------------------------------------

def pg_available() -> bool:
    try:
        import psycopg
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def pg_create(name: str) -> str:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def pg_drop(name: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- gunicorn --------------------------------------------------------------------------

class Server:
    """gunicorn with the project's gunicorn.conf.py; `app` overrides its wsgi_app."""

    def __init__(self, env: dict[str, str], workers: int, log: Path, app: str | None = None):
        self.port = free_port()
        self.log = log
        env = dict(env, SURVEY_BIND=f"127.0.0.1:{self.port}", SURVEY_WORKERS=str(workers))
        # --no-control-socket: several gunicorns on one machine would share its default path.
        args = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket"]
        if app:
            args.append(app)
        self._fh = log.open("ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}:\n{self.log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/favicon-probe")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def cpu_seconds(self) -> float:
        """CPU seconds used by the master and its workers so far, including workers that
        max_requests has already recycled (counted in the master's reaped-children time)."""
        tick = os.sysconf("SC_CLK_TCK")
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            own = sum(int(f) for f in fields[11:15]) / tick
        except (OSError, ValueError):
            own = 0.0
        return own + cpu_seconds(self.worker_pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._fh.close()


def cpu_seconds(pids: list[int]) -> float:
    """User+system CPU seconds of the given processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


# --- a cheap HTTP client ---------------------------------------------------------------

class Client:
    """One browser-like visitor: a keep-alive http.client connection (reopened when the
    server closes it) and a cookie jar. Records (seconds, status) per request."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.timings: list[float] = []

    def request(self, method: str, path: str, form: dict | list | None = None,
                headers: dict | None = None) -> tuple[int, str, str | None]:
        """(status, body, Location) of one request; no redirects followed."""
        hdrs = {"Host": f"127.0.0.1:{self.port}", "Accept-Encoding": "identity"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if headers:
            hdrs.update(headers)
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection the server had already closed: reconnect once.
                self.conn.close()
                if attempt == 2:
                    raise exc
        self.timings.append(time.perf_counter() - started)
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                self._store_cookie(value)
        if resp.will_close:
            self.conn.close()
        location = resp.getheader("Location")
        if location:
            location = urlsplit(location)._replace(scheme="", netloc="").geturl()
        return resp.status, data.decode("utf-8", "replace"), location

    def _store_cookie(self, header: str) -> None:
        pair, _, attrs = header.partition(";")
        name, _, value = pair.strip().partition("=")
        expired = "max-age=0" in attrs.lower().replace(" ", "") or "expires=thu, 01 jan 1970" in attrs.lower()
        if expired or value in ("", '""'):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def close(self) -> None:
        self.conn.close()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
INPUT_RE = re.compile(r"<input\b([^>]*)>", re.S)
ATTR_RE = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')
FORM_RE = re.compile(r'<form\b[^>]*method="post"[^>]*action="([^"]*)"|<form\b[^>]*action="([^"]*)"[^>]*method="post"', re.S)


def csrf_token(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise ValueError("no csrf_token in the page")
    return unescape(m.group(1) or m.group(2))


def post_action(html: str) -> str:
    m = FORM_RE.search(html)
    if not m:
        raise ValueError("no POST form in the page")
    return unescape(m.group(1) or m.group(2))


def inputs(html: str) -> list[dict[str, str]]:
    return [{k: unescape(v) for k, v in ATTR_RE.findall(m.group(1))} for m in INPUT_RE.finditer(html)]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


class WsgiClient:
    """The same interface as Client, calling a WSGI app in this process (for profiling)."""

    def __init__(self, app):
        from werkzeug.test import Client as WerkzeugClient
        self._client = WerkzeugClient(app, use_cookies=True)
        self.cookies = _CookieProxy(self._client)
        self.timings: list[float] = []

    def request(self, method: str, path: str, form=None, headers=None):
        started = time.perf_counter()
        resp = self._client.open(path, method=method, data=urlencode(form, doseq=True) if form is not None else None,
                                 content_type="application/x-www-form-urlencoded" if form is not None else None,
                                 headers=headers)
        body = resp.get_data(as_text=True)
        self.timings.append(time.perf_counter() - started)
        location = resp.headers.get("Location")
        if location:
            location = urlsplit(location)._replace(scheme="", netloc="").geturl()
        return resp.status_code, body, location

    def close(self) -> None:
        pass


class _CookieProxy:
    def __init__(self, client):
        self._client = client

    def clear(self) -> None:
        self._client._cookies.clear()
