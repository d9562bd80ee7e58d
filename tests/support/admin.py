"""Fixtures and helpers shared by the tests/app/test_admin*.py modules: a signed-in
administrator, a small organisation tree (`orgs`), and creating a wave through the form.

`fresh_g_per_request`: the `app` fixture keeps one application context open for the whole
test, and Flask reuses it for every request, so `flask.g` outlives a request. Flask-WTF
caches the CSRF token in `g.csrf_token`; after a sign-in clears the session, or with a
second client, the cached token no longer matches the session and a real form post gets
400. Production has one app context per request; this hook gives the tests the same.
"""
import datetime as dt

import pytest
from flask import g
from sqlalchemy import select

from survey.models import Wave
from survey.orgs import import_orgs, parse_orgs_csv

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


# --- organisations and waves ---------------------------------------------------------------

ORGS = """code,name,level,parent_code
ICS1,North ICS,ics,
PL1,Riverside place,place,ICS1
PCN1,Riverside PCN,pcn,PL1
P001,High Street Surgery,practice,PCN1
P002,Mill Lane Practice,practice,PCN1
PCN2,Hill PCN,pcn,PL1
P003,Hilltop Surgery,practice,PCN2
"""
TODAY = dt.date.today()


@pytest.fixture
def orgs(db):
    import_orgs(db, parse_orgs_csv(ORGS))
    db.commit()


def _parts(name: str, day) -> dict:
    """A date as the NHS.UK date input posts it (day, month, year boxes); a string is sent as typed."""
    if isinstance(day, dt.date):
        return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}
    return {f"{name}-{p}": v for p, v in zip(("day", "month", "year"), day)}


def wave_data(**over):
    data = {"survey": "staff-experience", "name": "Spring", "orgs": ["PCN1"], "mode": "invitation"}
    dates = {"opens": TODAY - dt.timedelta(days=1), "closes": TODAY + dt.timedelta(days=30)}
    for key in ("opens", "closes"):
        value = over.pop(key, dates[key])
        if isinstance(value, str):              # the old single year-month-day field, still read
            data[key] = value
        else:
            data.update(_parts(key, value))
    data.update(over)
    return data


def create(client, **over):
    return post_form(client, "/admin/waves/new", wave_data(**over))


def get_wave(db, name="Spring"):
    fresh(db)
    return db.scalar(select(Wave).where(Wave.name == name))
