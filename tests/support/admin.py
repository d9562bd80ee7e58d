"""Fixtures shared by the tests/app/test_admin*.py modules.

`fresh_g_per_request`: the `app` fixture keeps one application context open for the whole
test, and Flask reuses it for every request, so `flask.g` outlives a request. Flask-WTF
caches the CSRF token in `g.csrf_token`; after a sign-in clears the session, or with a
second client, the cached token no longer matches the session and a real form post gets
400. Production has one app context per request; this hook gives the tests the same.
"""
import pytest
from flask import g

from tests.conftest import post_form


@pytest.fixture(autouse=True)
def fresh_g_per_request(app):
    @app.before_request
    def _forget_request_state():
        g.pop("csrf_token", None)
        g.pop("csrf_valid", None)

    return app


@pytest.fixture
def admin_client(app, client, make_staff, sign_in):
    """A client signed in as an administrator; `.admin` is the account."""
    admin = make_staff("admin")
    sign_in(client, admin)
    client.admin = admin
    return client


def fresh(db):
    """End the checking session's read transaction and forget what it loaded (SQLite WAL
    keeps a reader on its snapshot; the sessionmaker does not expire on commit)."""
    db.rollback()
    db.expire_all()


def confirm(client, url):
    """Press the confirmation button of a POST-only action (GET shows it, POST does it)."""
    return post_form(client, url, {})
