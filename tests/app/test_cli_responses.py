"""`responses import`: all-or-nothing, every invalid cell by line and column, codes
canonicalised exactly as web answers are."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from survey.extensions import keyring
from survey.models import Comment, Response

ORGS = """code,name,level,parent_code
ICS1,Example ICS,ics,
PL1,North place,place,ICS1
PCN1,North PCN,pcn,PL1
GP1,Alpha Surgery,practice,PCN1
GP2,Beta Surgery,practice,PCN1
GP9,Other Surgery,practice,PCN1
"""


@pytest.fixture
def wave(runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(ORGS)
    assert runner.invoke(args=["orgs", "import", str(path)]).exit_code == 0
    result = runner.invoke(args=["waves", "create", "--survey", "staff-experience", "--name", "Paper 2023",
                                 "--orgs", "GP1,GP2", "--opens", "2023-10-02", "--closes", "2023-11-24"])
    assert result.exit_code == 0, result.output
    return "Paper 2023"


def run_import(runner, tmp_path, text, *extra, name="responses.csv"):
    path = tmp_path / name
    path.write_text(text)
    return runner.invoke(args=["responses", "import", str(path), "--wave", "Paper 2023", *extra])


def responses(db):
    db.rollback()
    return list(db.scalars(select(Response)))


GOOD = """org,q14a,q14b,q15,q11d,q11e,q16a,q16b,q16c,ethnicity,disability,reasonable_adjustments,comments
GP1,1,2,1,1,2,1,2,5;1,1,1,3,The rota is fair.
GP2,01,,9,2,,2,2,,01,2,,
GP1,3,1,02,,,2,1,01,14,3,,
"""


def test_import_stores_canonical_codes(runner, db, wave, tmp_path):
    result = run_import(runner, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert "Imported 3 responses" in result.output and "1 comments" in result.output
    rows = responses(db)
    assert len(rows) == 3
    by_q15 = {r.q15: r for r in rows}
    first, second, third = by_q15[1], by_q15[9], by_q15[2]
    # "1" and "01" are the same ethnicity code; other codes lose leading zeros.
    assert first.ethnicity == second.ethnicity == "01" and third.ethnicity == "14"
    assert second.q14a == 1 and third.q15 == 2
    assert first.q16c == "1;5" and third.q16c == "1"
    assert first.q11e == 2 and second.q11e is None and second.q14b is None
    assert first.reasonable_adjustments == "3" and first.disability == "1"
    # Imported responses carry the wave's closing date; comments are encrypted, apart.
    assert {r.submitted_on for r in rows} == {dt.date(2023, 11, 24)}
    comments = list(db.scalars(select(Comment)))
    assert len(comments) == 1 and b"rota" not in comments[0].body
    assert keyring().decrypt(comments[0].body) == "The rota is fair."


def test_week_resolution(app, runner, db, wave, tmp_path):
    app.config["RESPONSE_DATE_RESOLUTION"] = "week"
    assert run_import(runner, tmp_path, GOOD).exit_code == 0
    assert {r.submitted_on for r in responses(db)} == {dt.date(2023, 11, 20)}   # the Monday


def test_every_invalid_cell_is_reported_and_nothing_imported(runner, db, wave, tmp_path):
    bad = """org,q14a,q15,ethnicity,q11d,q11e,q16a,q16b,q16c
GP1,1,1,01,1,1,2,2,
GP9,6,3,20,2,1,2,2,1
GP2,1;2,1,x,1,,1,2,8
,1,1,1,1,1,1,1,1
"""
    result = run_import(runner, tmp_path, bad)
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported" in out and "Traceback" not in out
    expected = [
        "line 3, column A (org): 'GP9' is not an organisation of this wave; allowed: GP1, GP2",
        "line 3, column B (q14a): '6' is not an allowed code; allowed codes are 1, 2, 3, 4, 5",
        "line 3, column C (q15): '3' is not an allowed code; allowed codes are 1, 2, 9",
        "line 3, column D (ethnicity): '20' is not an allowed code; allowed codes are 01, 02,",
        "line 3, column F (q11e): answered, but 'q11e' is asked only if q11d is 1",
        "line 3, column I (q16c): answered, but 'q16c' is asked only if q16a is 1 or q16b is 1",
        "line 4, column B (q14a): one code expected, got '1;2'",
        "line 4, column D (ethnicity): 'x' is not an allowed code",
        "line 4, column I (q16c): '8' is not an allowed code; allowed codes are 1, 2, 3, 4, 5, 6, 7",
        "line 5, column A (org): empty",
    ]
    for message in expected:
        assert message in out, message
    assert "line 2" not in out
    assert out.index("line 3, column A") < out.index("line 3, column B") < out.index("line 4, column B")
    assert responses(db) == []


def test_header_problems(runner, db, wave, tmp_path):
    result = run_import(runner, tmp_path, "practice,q99,q15,q15\nGP1,1,1,1\n")
    assert result.exit_code == 1
    assert "line 1: there is no 'org' column" in result.output
    assert "line 1, column B: 'q99' is not a question of the survey 'staff-experience'" in result.output
    assert "line 1, column D: 'q15' is already column C" in result.output


def test_ragged_row_and_unknown_wave(runner, db, wave, tmp_path):
    result = run_import(runner, tmp_path, "org,q15\nGP1,1,2\n")
    assert result.exit_code == 1 and "line 2: expected 2 values" in result.output
    path = tmp_path / "x.csv"
    path.write_text("org,q15\nGP1,1\n")
    result = runner.invoke(args=["responses", "import", str(path), "--wave", "Nope"])
    assert result.exit_code == 1 and "No wave is called 'Nope'" in result.output


def test_second_import_needs_append(runner, db, wave, tmp_path):
    assert run_import(runner, tmp_path, GOOD).exit_code == 0
    again = run_import(runner, tmp_path, GOOD, name="again.csv")
    assert again.exit_code == 1 and "--append" in again.output
    assert len(responses(db)) == 3
    assert run_import(runner, tmp_path, GOOD, "--append", name="more.csv").exit_code == 0
    assert len(responses(db)) == 6


def test_own_questions_go_to_extra_json(app, runner, db, tmp_path):
    surveys = tmp_path / "instance" / "surveys"
    surveys.mkdir(parents=True, exist_ok=True)
    (surveys / "breaks.yaml").write_text(
        "id: breaks\ntitle: Breaks\nversion: '1'\nsections:\n  - id: a\n    title: A\n    questions:\n"
        "      - q15\n      - {id: breaks, text: Breaks, type: single, options: [{code: 1, label: Y}, {code: 2, label: N}]}\n"
        "      - {id: worries, text: Worries, type: multiple, options: [{code: a, label: A}, {code: b, label: B}]}\n")
    path = tmp_path / "orgs.csv"
    path.write_text(ORGS)
    runner.invoke(args=["orgs", "import", str(path)])
    r = runner.invoke(args=["waves", "create", "--survey", "breaks", "--name", "Paper 2023", "--orgs", "GP1",
                            "--opens", "2023-01-01", "--closes", "2023-01-31"])
    assert r.exit_code == 0, r.output
    result = run_import(runner, tmp_path, "org,q15,breaks,worries\nGP1,1,02,b;a\n")
    assert result.exit_code == 0, result.output
    (row,) = responses(db)
    assert row.q15 == 1 and json.loads(row.extra_json) == {"breaks": "2", "worries": ["a", "b"]}


def test_many_rows(runner, db, wave, tmp_path):
    lines = ["org,q14a,q14b,q15,ethnicity,disability"]
    for i in range(3000):
        lines.append(f"GP{1 + i % 2},{1 + i % 5},{1 + i % 3},{(1, 2, 9)[i % 3]},{1 + i % 19},{1 + i % 3}")
    result = run_import(runner, tmp_path, "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response)) == 3000
    assert db.scalar(select(func.count(func.distinct(Response.ethnicity)))) == 19
