"""Fixtures shared by every suite.

- `app` builds a fresh application on a throw-away SQLite file (or on PostgreSQL when
  SURVEY_TEST_DATABASE_URL is set), with cheap argon2 parameters and CSRF left ON.
- `forbid_in_logs` is the guard: an autouse fixture fails any test in which a token,
  access key, client address, user agent or submitted free text reaches a log record.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from survey import create_app
from survey.crypto import KeyRing
from survey.db import Base, make_engine
import survey.models  # noqa: F401

PG_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")
TEST_PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- the log guard -----------------------------------------------------------------------

class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _record_text(record: logging.LogRecord) -> str:
    try:
        msg = record.getMessage()
    except Exception:  # pragma: no cover - a broken record is itself worth seeing
        msg = str(record.msg)
    return " ".join([msg, repr(getattr(record, "fields", "")), repr(record.args)])


@pytest.fixture(autouse=True)
def forbid_in_logs():
    """Call `forbid_in_logs(value, ...)` to register values that must never be logged.
    Client addresses and the test client's user agent are always forbidden."""
    forbidden: set[str] = {"127.0.0.1", "werkzeug/", "Mozilla/"}
    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    # Loggers that do not propagate (the app's own) get the handler directly.
    extra = [logging.getLogger(n) for n in ("survey", "survey.access", "werkzeug", "gunicorn.error", "gunicorn.access")]
    for lg in extra:
        if not lg.propagate:
            lg.addHandler(capture)

    def add(*values):
        for v in values:
            if v:
                forbidden.add(str(v))

    yield add
    root.removeHandler(capture)
    root.setLevel(old_level)
    for lg in extra:
        if capture in lg.handlers:
            lg.removeHandler(capture)
    leaks = []
    for record in capture.records:
        body = _record_text(record)
        for value in forbidden:
            if value.lower() in body.lower():
                leaks.append(f"{record.name}: {value!r} in {body[:200]!r}")
    assert not leaks, "Identifying values reached the logs:\n" + "\n".join(leaks)


# --- database ----------------------------------------------------------------------------

def _pg_database_url() -> str:
    """A fresh database on the test server for this test session."""
    name = f"survey_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        url = _pg_database_url()
        yield url
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield None   # each app gets its own SQLite file


def base_test_config(tmp_path, database_url=None, **overrides) -> dict:
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "TOKEN_PEPPER": "test-token-pepper-" + uuid.uuid4().hex,
        "ACCESS_KEY_PEPPER": "test-access-pepper-" + uuid.uuid4().hex,
        "ENCRYPTION_KEYS": [KeyRing.generate_key()],
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'test.db'}",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(tmp_path, database_url):
    return base_test_config(tmp_path, database_url)


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and so its own `g`, DB session and CSRF
    token), as in production, even though the `app` fixture keeps one pushed for the test.

    Each response is read to its end and closed before `open` returns, as a WSGI server
    does: a streamed download left unread would keep its request's database session (and
    on PostgreSQL its locks) until the garbage collector found it, and the fixture's
    DROP TABLE at teardown would wait for it for ever."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


@contextlib.contextmanager
def app_with_schema(config: dict):
    """An app on a fresh schema (dropped again afterwards on PostgreSQL), in its context."""
    os.makedirs(config["INSTANCE_PATH"], exist_ok=True)
    application = create_app(config)
    application.test_client_class = FreshContextClient
    engine = application.extensions["survey.engine"]
    if PG_URL:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    try:
        with application.app_context():
            yield application
    finally:
        if PG_URL:
            Base.metadata.drop_all(engine)
        engine.dispose()


@pytest.fixture
def app(app_config):
    with app_with_schema(app_config) as application:
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session for arranging and checking data directly."""
    session = app.extensions["survey.sessionmaker"]()
    yield session
    session.close()


# --- helpers -------------------------------------------------------------------------------

def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client, url: str, data: dict, get_url: str | None = None, **kwargs):
    """GET the page (or get_url), read its real CSRF token, then POST the form."""
    page = client.get(get_url or url)
    payload = dict(data)
    payload["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(url, data=payload, **kwargs)


@pytest.fixture
def make_staff(app, db):
    """make_staff(role) -> a set-up, active account with TEST_PASSWORD and a TOTP secret."""
    from survey.extensions import keyring, password_hasher
    from survey.models import Role, StaffUser
    import datetime as dt

    def make(role: str = "guardian", email: str | None = None, active: bool = True):
        secret = pyotp.random_base32()
        user = StaffUser(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.nhs.uk", role=Role(role),
                         password_hash=password_hasher().hash(TEST_PASSWORD), totp_secret=keyring().encrypt(secret),
                         is_active=active, created_at=dt.datetime.now(dt.timezone.utc))
        db.add(user)
        db.commit()
        user.totp_plain = secret
        return user

    return make


@pytest.fixture
def sign_in(db):
    """sign_in(client, user): a real sign-in through the form with a fresh TOTP code."""
    from survey.models import StaffUser

    def do(client, user):
        db.get(StaffUser, user.id).totp_last_step = 0   # let the test reuse the current code
        db.commit()
        code = pyotp.TOTP(user.totp_plain).now()
        resp = post_form(client, "/auth/sign-in", {"email": user.email, "password": TEST_PASSWORD, "code": code})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp

    return do


@pytest.fixture
def database_down(app, tmp_path):
    """Point new sessions at a database that cannot be opened (`.down()`, `.up()`); undo it
    after. Used by tests/app/test_respond_unavailable.py and tests/db/test_faults.py."""
    maker = app.extensions["survey.sessionmaker"]
    good = app.extensions["survey.engine"]
    bad = make_engine(f"sqlite:///{tmp_path}/no/such/dir/survey.db")

    class Switch:
        def down(self):
            maker.configure(bind=bad)

        def up(self):
            maker.configure(bind=good)

    switch = Switch()
    yield switch
    switch.up()
    bad.dispose()
