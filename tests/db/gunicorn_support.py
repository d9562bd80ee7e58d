"""Helpers for the tests that run the real servers (gunicorn, `flask run`) over HTTP.

- `make_instance()`: an instance folder made by `flask --app survey init` (SQLite in the
  folder, or a fresh PostgreSQL database when SURVEY_TEST_DATABASE_URL is set).
- `seed(instance, n)`: a wave of the answering tests' definition and n invitation tokens,
  made in a subprocess with the instance's own secrets (so this test process never builds
  a production-configured app and its log handlers).
- `Server`: gunicorn with gunicorn.conf.py, or the demo server; stdout and stderr go to a
  file the test reads afterwards.
- `Client`: a small HTTP client over http.client that connects FROM 127.0.0.3 (so the
  client address is distinguishable from the server's own bind address in the logs),
  sends a distinctive User-Agent and X-Forwarded-For, keeps cookies, and reads CSRF tokens.
- Journeys: answer a survey with a token, raise a concern, follow it up with its key.

Run as `python -m tests.db.gunicorn_support seed N` (env: SURVEY_INSTANCE_PATH,
SURVEY_DATABASE_URL) it prints {"wave": id, "org": id, "tokens": [...]} as JSON.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")

CLIENT_ADDRESS = "127.0.0.3"
FORWARDED_FOR = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (StaffVoiceProbe-4471; Android 14) TestPhone/1.0"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# A reference or key on a page: groups of four in their own spans (survey/filters.py::key_groups).
KEY_RE = re.compile(r'<span class="app-key">((?:<span class="app-key__group">[0-9A-Z]+</span>(?:-<wbr>)?)+)</span>')


def keys_on_page(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in KEY_RE.findall(html)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_") and not k.startswith("FLASK_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


# --- instance and database -------------------------------------------------------------------

@dataclass
class Instance:
    path: Path
    database_url: str
    pg_name: str | None = None

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(SURVEY_INSTANCE_PATH=str(self.path), SURVEY_DATABASE_URL=self.database_url, **extra)

    def drop(self) -> None:
        if self.pg_name:
            from sqlalchemy import create_engine, text
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()


def make_instance(tmp: Path) -> Instance:
    pg_name = None
    if PG_URL:
        from sqlalchemy import create_engine, text
        pg_name = f"survey_srv_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        admin.dispose()
        url = PG_URL.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{tmp / 'instance' / 'survey.db'}"
    inst = Instance(tmp / "instance", url, pg_name)
    out = subprocess.run([str(VENV_BIN / "flask"), "--app", "survey", "init"], cwd=ROOT, env=inst.env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return inst


def seed(inst: Instance, tokens: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.db.gunicorn_support", "seed", str(tokens)], cwd=ROOT,
                         env=inst.env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def counts(inst: Instance, wave_id: int) -> dict[str, int]:
    """Used invitations, responses, comments and drafts of a wave, read with plain SQL."""
    from sqlalchemy import create_engine, text
    engine = create_engine(inst.database_url)
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(text(sql), {"w": wave_id}).scalar_one()  # noqa: E731
            return {
                "used": q("SELECT count(*) FROM invitations WHERE wave_id = :w AND is_used"),
                "unused": q("SELECT count(*) FROM invitations WHERE wave_id = :w AND NOT is_used"),
                "responses": q("SELECT count(*) FROM responses WHERE wave_id = :w"),
                "comments": q("SELECT count(*) FROM comments WHERE wave_id = :w"),
                "drafts": q("SELECT count(*) FROM drafts WHERE wave_id = :w"),
            }
    finally:
        engine.dispose()


def _seed_main(n: int) -> None:
    from survey import create_app
    from survey.crypto import new_token
    from survey.extensions import hash_token
    from survey.models import Invitation
    from tests.respond_support import make_wave

    app = create_app()
    with app.app_context():
        session = app.extensions["survey.sessionmaker"]()
        wave, org = make_wave(session)
        tokens = [new_token() for _ in range(n)]
        session.add_all([Invitation(token_hash=hash_token(t), wave_id=wave.id, org_id=org.id) for t in tokens])
        session.commit()
        print(json.dumps({"wave": wave.id, "org": org.id, "tokens": tokens}))


# --- servers -----------------------------------------------------------------------------------

class Server:
    """A server subprocess whose stdout and stderr are captured in one file."""

    def __init__(self, inst: Instance, kind: str = "gunicorn", workers: int = 2, conf: str = "gunicorn.conf.py", **env: str):
        self.inst, self.kind = inst, kind
        self.port = free_port()
        self.log_path = inst.path.parent / f"{kind}-{self.port}.log"
        if kind == "gunicorn":
            cmd = [str(VENV_BIN / "gunicorn"), "-c", conf]
            env = {"SURVEY_BIND": f"127.0.0.1:{self.port}", "SURVEY_WORKERS": str(workers), **env}
        else:
            cmd = [str(VENV_BIN / "flask"), "--app", "survey", "run", "--host", "127.0.0.1", "--port", str(self.port)]
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=inst.env(**env), stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"{self.kind} did not start within {timeout}s:\n{self.log()}")

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the gunicorn master)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def wait_workers(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.workers()) < n and time.monotonic() < deadline:
            time.sleep(0.2)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if self.kind == "gunicorn" else signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.log_path.read_text(errors="replace")

    def client(self, **kw) -> "Client":
        return Client(self.port, **kw)


# --- an HTTP client ----------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def csrf(self) -> str:
        m = CSRF_RE.search(self.text)
        assert m, f"no CSRF token in a {self.status} page: {self.text[:300]!r}"
        return m.group(1)


@dataclass
class Client:
    port: int
    source: str = CLIENT_ADDRESS
    user_agent: str = USER_AGENT
    timeout: float = 60
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict | None = None, body: bytes | None = None,
                content_type: str | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout, source_address=(self.source, 0))
        headers = {"User-Agent": self.user_agent, "X-Forwarded-For": FORWARDED_FOR, "X-Real-IP": FORWARDED_FOR,
                   "X-Forwarded-Proto": "https", "Accept": "text/html", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for raw in resp.headers.get_all("Set-Cookie") or []:
            pair, _, attrs = raw.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attrs.lower().replace(" ", "") or "1970" in attrs:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Reply(resp.status, resp.headers, text)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Reply:
        return self.request("POST", path, data=data)

    def post_form(self, path: str, data: dict, get_path: str | None = None) -> Reply:
        csrf = self.get(get_path or path).csrf()
        return self.post(path, {**data, "csrf_token": csrf})


# --- journeys ----------------------------------------------------------------------------------

def start_survey(c: Client, token: str, q14a: str = "2", comment: str | None = None) -> str:
    """Open the token link and answer; return a CSRF token for the submit."""
    r = c.get(f"/respond/t/{token}")
    assert r.status == 302 and r.location.endswith("/respond/"), (r.status, r.location)
    csrf = c.get("/respond/page/3").csrf()
    r = c.post("/respond/page/3", {"csrf_token": csrf, "q14a": q14a})
    assert r.status == 302, (r.status, r.text[:300])
    if comment:
        r = c.post("/respond/page/5", {"csrf_token": csrf, "comment": comment})
        assert r.status == 302, (r.status, r.text[:300])
    return csrf


def answer_survey(c: Client, token: str, q14a: str = "2", comment: str | None = None) -> Reply:
    csrf = start_survey(c, token, q14a, comment)
    return c.post("/respond/submit", {"csrf_token": csrf})


def raise_concern(c: Client, text: str) -> tuple[str, str]:
    r = c.post_form("/speakup/raise", {"text": text, "elements": "patient_safety", "org": "none",
                                       "contact_mode": "anonymous", "contact": "", "website": ""})
    assert r.status == 303, (r.status, r.text[:500])
    page = c.get("/speakup/raised")
    reference, key = keys_on_page(page.text)
    r = c.post("/speakup/raised", {"csrf_token": page.csrf(), "saved": "y"})
    assert r.status == 303, r.status
    return reference, key


def follow_up(c: Client, reference: str, key: str, message: str) -> None:
    r = c.post_form("/speakup/followup", {"reference": reference, "key": key})
    assert r.status == 303 and r.location.endswith("/speakup/case"), (r.status, r.text[:500])
    page = c.get("/speakup/case")
    assert page.status == 200
    r = c.post("/speakup/case/message", {"csrf_token": page.csrf(), "body": message})
    assert r.status == 303, (r.status, r.text[:500])


if __name__ == "__main__":  # pragma: no cover - run by seed()
    if sys.argv[1:2] == ["seed"]:
        _seed_main(int(sys.argv[2]))
