"""`demo`: runs twice cleanly, prints links to unused invitations, groups really differ."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from flask import Config
from sqlalchemy import func, select

from survey import create_app
from survey.extensions import hash_token
from survey.models import Comment, Invitation, Organisation, OrgLevel, Response, StaffUser, Wave
from survey.demo import PASSWORD, wave_plans
from survey.demo_data import PRACTICES
from tests.conftest import base_test_config

LINK_RE = re.compile(r"(http://\S+/respond/t/(\S+))")


def counts(db) -> dict:
    db.rollback()
    return {model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (Organisation, Wave, Response, Comment, StaffUser)}


def run_demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def answering_bounds(today: dt.date) -> tuple[int, int]:
    """Fewest and most responses the demo can make: each practice answers its response rate
    times a factor between 0.8 and 1.2 (the waves' names, and so their random draws, move
    with the date: a fixed range failed on one day)."""
    def answered(staff, rate, factor):
        return min(staff, max(1, round(staff * rate * factor)))
    plans = wave_plans(today)
    return tuple(sum(answered(staff, plan.response_rate, f) for plan in plans for *_, staff in PRACTICES)
                 for f in (0.8, 1.2))


def test_demo_runs_twice_and_prints_unused_links(app, runner, db, client):
    out = run_demo(runner)
    first = counts(db)
    assert first["Organisation"] == 1 + 2 + 5 + len(PRACTICES)
    assert first["Wave"] == 8 and first["StaffUser"] == 3
    fewest, most = answering_bounds(dt.date.today())
    assert 1500 < fewest <= first["Response"] <= most and first["Comment"] > 0
    assert "flask --app survey run" in out and PASSWORD in out and "otpauth://totp/" in out

    out2 = run_demo(runner)
    assert counts(db) == first                     # nothing duplicated
    for text in (out, out2):
        links = LINK_RE.findall(text)
        assert len(links) == 5
        for _link, token in links:
            invitation = db.get(Invitation, hash_token(token))
            assert invitation is not None and not invitation.is_used
            wave = db.get(Wave, invitation.wave_id)
            assert wave.is_open_on(dt.date.today())
    # A printed link really opens the survey (the first page, not a refusal).
    link, _token = LINK_RE.findall(out2)[0]
    page = client.get(link.replace("http://localhost:5000", ""))
    assert page.status_code == 302 and "/respond/t/" not in page.headers["Location"]


def test_demo_structure_and_accounts(app, runner, db):
    run_demo(runner)
    db.rollback()
    levels = dict(db.execute(select(Organisation.level, func.count()).group_by(Organisation.level)).all())
    assert levels == {OrgLevel.ics: 1, OrgLevel.place: 2, OrgLevel.pcn: 5, OrgLevel.practice: len(PRACTICES)}
    assert all(8 <= staff <= 45 for *_rest, staff in PRACTICES)
    today = dt.date.today()
    waves = list(db.scalars(select(Wave)))
    se = sorted((w for w in waves if w.survey_id == "staff-experience"), key=lambda w: w.opens_on)
    assert len(se) == 4 and all(w.is_finished(today) for w in se[:3]) and se[3].is_open_on(today)
    assert {w.survey_id for w in waves} == {"staff-experience", "racial-discrimination", "bullying-harassment",
                                            "equal-opportunities"}
    roles = {u.role.value for u in db.scalars(select(StaffUser))}
    assert roles == {"guardian", "edi_lead", "admin"}
    code = runner.invoke(args=["demo-code", "admin@staffvoice.example"])
    assert code.exit_code == 0 and re.match(r"^\d{6}$", code.output.splitlines()[0])
    user = db.scalar(select(StaffUser).where(StaffUser.email == "admin@staffvoice.example"))
    from survey.extensions import keyring, password_hasher
    secret = keyring().decrypt(user.totp_secret)
    assert pyotp.TOTP(secret).verify(code.output.splitlines()[0], valid_window=1)
    assert password_hasher().verify(user.password_hash, PASSWORD)


def _rate(db, numerator, base, group) -> float:
    n = db.scalar(select(func.count()).select_from(Response).where(base, group, numerator))
    d = db.scalar(select(func.count()).select_from(Response).where(base, group))
    return n / d


def test_demo_groups_really_differ(app, runner, db):
    run_demo(runner)
    db.rollback()
    bme = Response.ethnicity.between("05", "18")
    white = Response.ethnicity.between("01", "04")
    # WRES 7: fewer BME staff believe in equal opportunities.
    assert _rate(db, Response.q15 == 1, Response.q15.in_((1, 2)), bme) < _rate(db, Response.q15 == 1, Response.q15.in_((1, 2)), white) - 0.05
    # WRES 8: more BME staff experience discrimination from colleagues.
    assert _rate(db, Response.q16b == 1, Response.q16b.in_((1, 2)), bme) > _rate(db, Response.q16b == 1, Response.q16b.in_((1, 2)), white) + 0.03
    # WDES 6: more disabled staff feel pressure to come to work.
    base = Response.q11d == 1
    assert _rate(db, Response.q11e == 1, base, Response.disability == "1") > _rate(db, Response.q11e == 1, base, Response.disability == "2") + 0.05
    # Some people prefer not to say.
    assert db.scalar(select(func.count()).select_from(Response).where(Response.ethnicity == "19")) > 0


def test_demo_code_refuses_outside_a_demo(app, runner, make_staff):
    user = make_staff("admin")
    result = runner.invoke(args=["demo-code", user.email])
    assert result.exit_code == 1 and "not a demo instance" in result.output


def test_demo_refuses_a_real_instance(app, runner, db):
    config = app.instance_path + "/config.py"
    with open(config, "w") as fh:
        fh.write("# a real instance\n")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1 and "not a demo instance" in result.output
    assert counts(db)["Organisation"] == 0


@pytest.mark.slow
def test_demo_on_a_fresh_instance_writes_demo_flag(tmp_path, database_url):
    if database_url:
        pytest.skip("the fresh-instance path runs on SQLite")
    config = base_test_config(tmp_path)
    for key in ("SECRET_KEY", "TOKEN_PEPPER", "ACCESS_KEY_PEPPER", "ENCRYPTION_KEYS"):
        config.pop(key)
    (tmp_path / "instance").mkdir()
    app = create_app(config)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "instance" / "config.py").read_text()
    assert "DEMO = True" in text and "TOKEN_PEPPER" in text
    written = Config(str(tmp_path / "instance"))
    written.from_pyfile("config.py")
    assert written["DEMO"] is True
    assert runner.invoke(args=["demo-code", "guardian@staffvoice.example"]).exit_code == 0
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    app.extensions["survey.engine"].dispose()


def test_demo_prints_links_for_the_address_given_and_no_log_lines(app, runner, db, caplog):
    """Issue 21 item 22: links always said localhost:5000, and JSON log lines were mixed
    in with what a person needs."""
    import logging
    caplog.set_level(logging.INFO, logger="survey")
    before = logging.getLogger("survey").level
    result = runner.invoke(args=["demo", "--base-url", "http://192.168.1.20:8080/"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"http://\S+/respond/t/\S+", result.output)
    assert len(links) == 5 and all(link.startswith("http://192.168.1.20:8080/respond/t/") for link in links)
    assert "localhost:5000" not in result.output
    assert "Start the app with: flask --app survey run --host 0.0.0.0 --port 8080" in result.output
    assert "build themselves in the background" in result.output
    assert '{"' not in result.output
    assert not [r for r in caplog.records if r.name == "survey" and r.levelno < logging.WARNING], \
        [r.getMessage() for r in caplog.records][:5]
    assert logging.getLogger("survey").level == before          # the app's own logging is left as it was

