"""`waves create | list | close | links | invited` and `tokens issue`."""
from __future__ import annotations

import csv
import datetime as dt
import os

import pytest
from sqlalchemy import func, select

from survey.definitions.model import SurveyDefinition
from survey.extensions import hash_token
from survey.models import Invitation, OpenLink, Organisation, Wave, WaveMode, WaveOrganisation

ORGS = """code,name,level,parent_code
ICS1,Example ICS,ics,
PL1,North place,place,ICS1
PL2,South place,place,ICS1
PCN1,North PCN,pcn,PL1
PCN2,South PCN,pcn,PL2
GP1,Alpha Surgery,practice,PCN1
GP2,Beta Surgery,practice,PCN1
GP3,Gamma Surgery,practice,PCN2
"""
TODAY = dt.date.today()
OPENS, CLOSES = str(TODAY - dt.timedelta(days=3)), str(TODAY + dt.timedelta(days=30))


@pytest.fixture
def orgs(runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(ORGS)
    assert runner.invoke(args=["orgs", "import", str(path)]).exit_code == 0


def create(runner, name="Wave A", orgs="PL1", survey="staff-experience", opens=OPENS, closes=CLOSES, *extra):
    return runner.invoke(args=["waves", "create", "--survey", survey, "--name", name, "--orgs", orgs,
                               "--opens", opens, "--closes", closes, *extra])


def codes_in(db, wave_name):
    db.rollback()   # end the previous read transaction: see what the CLI committed since
    wave = db.scalar(select(Wave).where(Wave.name == wave_name))
    return sorted(db.scalars(select(Organisation.code).join(WaveOrganisation, WaveOrganisation.org_id == Organisation.id)
                             .where(WaveOrganisation.wave_id == wave.id)))


def test_create_includes_every_practice_below(runner, db, orgs):
    result = create(runner, "Wave A", "PL1")
    assert result.exit_code == 0, result.output
    assert codes_in(db, "Wave A") == ["GP1", "GP2"]
    assert create(runner, "Wave B", "ICS1").exit_code == 0
    assert codes_in(db, "Wave B") == ["GP1", "GP2", "GP3"]
    assert create(runner, "Wave C", "GP3,PCN1").exit_code == 0
    assert codes_in(db, "Wave C") == ["GP1", "GP2", "GP3"]
    wave = db.scalar(select(Wave).where(Wave.name == "Wave A"))
    snapshot = SurveyDefinition.from_json(wave.definition_json)
    assert snapshot.id == "staff-experience" and snapshot.question("q16c").show_if.questions() == ("q16a", "q16b")
    assert wave.mode is WaveMode.invitation
    listing = runner.invoke(args=["waves", "list"])
    assert "Wave A" in listing.output and "open" in listing.output


@pytest.mark.parametrize("args,message", [
    (("Wave X", "PL1", "nope"), "Unknown survey 'nope'"),
    (("Wave X", "ZZZ"), "No organisation has the code 'ZZZ'"),
    (("Wave X", "PL1", "staff-experience", "2025-03-01", "2025-02-01"), "closes (1 February 2025) before it opens (1 March 2025)"),
    (("Wave X", "PL1", "staff-experience", "01/03/2025"), "is not a date: write it as YYYY-MM-DD"),
])
def test_create_refuses_bad_input(runner, db, orgs, args, message):
    result = create(runner, *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert db.scalar(select(func.count()).select_from(Wave)) == 0


def test_duplicate_wave_name(runner, orgs):
    assert create(runner).exit_code == 0
    result = create(runner)
    assert result.exit_code == 1 and "exists already" in result.output


def test_close(runner, db, orgs):
    create(runner)
    assert runner.invoke(args=["waves", "close", "Wave A"]).exit_code == 0
    assert db.scalar(select(Wave.is_closed).where(Wave.name == "Wave A"))
    result = runner.invoke(args=["waves", "close", "No such wave"])
    assert result.exit_code == 1 and "No wave is called 'No such wave'" in result.output


def _database_bytes(app) -> bytes:
    url = app.config["DATABASE_URL"]
    path = url.removeprefix("sqlite:///")
    data = b""
    for suffix in ("", "-wal"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as fh:
                data += fh.read()
    return data


def test_tokens_issue_stores_only_hashes(app, runner, db, orgs, tmp_path, forbid_in_logs):
    create(runner)
    out, qr = tmp_path / "links.csv", tmp_path / "qr"
    result = runner.invoke(args=["tokens", "issue", "--wave", "Wave A", "--org", "GP1", "--count", "4",
                                 "--out", str(out), "--qr", str(qr)])
    assert result.exit_code == 0, result.output
    with out.open() as fh:
        links = [row["link"] for row in csv.DictReader(fh)]
    assert len(links) == 4 and len(set(links)) == 4
    from survey.config import base_url
    base = base_url(app.config) + "/respond/t/"
    tokens = [link.removeprefix(base) for link in links]
    assert all(link.startswith(base) and len(t) >= 32 for link, t in zip(links, tokens))
    forbid_in_logs(*tokens)
    stored = set(db.scalars(select(Invitation.token_hash)))
    assert stored == {hash_token(t) for t in tokens}
    row = db.scalar(select(WaveOrganisation).join(Organisation, Organisation.id == WaveOrganisation.org_id)
                    .where(Organisation.code == "GP1"))
    assert row.invited == 4
    # The QR codes and the printable sheet exist; each code is an SVG.
    svgs = sorted(p.name for p in qr.glob("*.svg"))
    assert svgs == ["qr-0001.svg", "qr-0002.svg", "qr-0003.svg", "qr-0004.svg"]
    assert (qr / "qr-0001.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    sheet = (qr / "slips.html").read_text()
    assert all(link in sheet for link in links) and "Alpha Surgery" in sheet
    # The tokens themselves appear nowhere in the database file.
    if app.config["DATABASE_URL"].startswith("sqlite"):
        db.close()
        raw = _database_bytes(app)
        assert raw and not any(t.encode() in raw for t in tokens)


def test_tokens_refusals(runner, db, orgs, tmp_path):
    create(runner)
    out = str(tmp_path / "x.csv")

    def issue(*args):
        return runner.invoke(args=["tokens", "issue", *args, "--out", out])

    r = issue("--wave", "Nope", "--org", "GP1", "--count", "2")
    assert r.exit_code == 1 and "No wave is called 'Nope'" in r.output
    r = issue("--wave", "Wave A", "--org", "GP3", "--count", "2")
    assert r.exit_code == 1 and "'GP3'" in r.output and "does not take part" in r.output and "GP1, GP2" in r.output
    r = issue("--wave", "Wave A", "--org", "PCN1", "--count", "2")
    assert r.exit_code == 1 and "does not take part" in r.output
    r = issue("--wave", "Wave A", "--org", "XX", "--count", "2")
    assert r.exit_code == 1 and "No organisation has the code 'XX'" in r.output
    for count in ("0", "-3"):
        r = issue("--wave", "Wave A", "--org", "GP1", "--count", count)
        assert r.exit_code == 1 and "at least 1" in r.output
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    assert not os.path.exists(out)
    # An existing file is never overwritten.
    open(out, "w").close()
    r = issue("--wave", "Wave A", "--org", "GP1", "--count", "2")
    assert r.exit_code == 1 and "exists already" in r.output


def test_open_link_wave(app, runner, db, orgs):
    assert create(runner, "Open", "PCN1", "staff-experience", OPENS, CLOSES, "--open-link").exit_code == 0
    first = runner.invoke(args=["waves", "links", "Open"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["GP1", "GP2"]
    assert all("/respond/o/" in line for line in lines)
    again = runner.invoke(args=["waves", "links", "Open"])
    assert again.output == first.output
    assert db.scalar(select(func.count()).select_from(OpenLink)) == 2
    r = runner.invoke(args=["waves", "invited", "Open", "--org", "GP1", "--count", "14"])
    assert r.exit_code == 0, r.output
    db.rollback()
    assert db.scalar(select(WaveOrganisation.invited).join(Organisation, Organisation.id == WaveOrganisation.org_id)
                     .where(Organisation.code == "GP1")) == 14
    r = runner.invoke(args=["waves", "invited", "Open", "--org", "GP1", "--count", "0"])
    assert r.exit_code == 1 and "at least 1" in r.output
    r = runner.invoke(args=["tokens", "issue", "--wave", "Open", "--org", "GP1", "--count", "2", "--out", "/tmp/never.csv"])
    assert r.exit_code == 1 and "open-link" in r.output


def test_invited_only_for_open_link_waves(runner, orgs):
    create(runner)
    r = runner.invoke(args=["waves", "invited", "Wave A", "--org", "GP1", "--count", "5"])
    assert r.exit_code == 1 and "invitation-only" in r.output
    r = runner.invoke(args=["waves", "links", "Wave A"])
    assert r.exit_code == 1 and "invitation-only" in r.output
