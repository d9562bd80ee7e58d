"""`orgs import` / `orgs list`: all-or-nothing, bad lines reported by number, idempotent."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.models import Organisation

GOOD = """code,name,level,parent_code
ICS1,Example ICS,ics,
PL1,North place,place,ICS1
PCN1,North PCN,pcn,PL1
GP1,Alpha Surgery,practice,PCN1
GP2,Beta Surgery,practice,PCN1
"""


def write(tmp_path, text, name="orgs.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def count(db):
    return db.scalar(select(func.count()).select_from(Organisation))


def test_import_and_list(runner, db, tmp_path):
    result = runner.invoke(args=["orgs", "import", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    assert "5 new" in result.output
    gp1 = db.scalar(select(Organisation).where(Organisation.code == "GP1"))
    assert gp1.parent.code == "PCN1" and gp1.parent.parent.parent.code == "ICS1"
    listing = runner.invoke(args=["orgs", "list"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].startswith("ICS1") and lines[3].startswith("      GP1")


def test_reimport_updates_names_idempotently(runner, db, tmp_path):
    runner.invoke(args=["orgs", "import", write(tmp_path, GOOD)])
    again = runner.invoke(args=["orgs", "import", write(tmp_path, GOOD)])
    assert again.exit_code == 0 and "5 unchanged" in again.output
    renamed = GOOD.replace("Alpha Surgery", "Alpha Medical Centre")
    result = runner.invoke(args=["orgs", "import", write(tmp_path, renamed, "b.csv")])
    assert result.exit_code == 0 and "1 renamed" in result.output
    assert count(db) == 5
    db.expire_all()
    assert db.scalar(select(Organisation.name).where(Organisation.code == "GP1")) == "Alpha Medical Centre"


def test_parent_may_be_in_the_database(runner, db, tmp_path):
    runner.invoke(args=["orgs", "import", write(tmp_path, GOOD)])
    more = "code,name,level,parent_code\nGP3,Gamma Surgery,practice,PCN1\n"
    result = runner.invoke(args=["orgs", "import", write(tmp_path, more, "more.csv")])
    assert result.exit_code == 0, result.output
    assert count(db) == 6


def test_bad_lines_reported_by_number_and_nothing_imported(runner, db, tmp_path):
    bad = """code,name,level,parent_code
ICS1,Example ICS,ics,
PL1,North place,place,ICS1
PCN1,North PCN,pcn,PL1
GP1,,practice,PCN1
GP2,Beta Surgery,surgery,PCN1
GP3,Gamma Surgery,practice,NOPE
GP4,Delta Surgery,practice,PL1
GP1,Again,practice,PCN1
PL2,South place,place,
GP5,Too,many,values,here
"""
    result = runner.invoke(args=["orgs", "import", write(tmp_path, bad)])
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported" in out
    assert "line 5: name is empty" in out
    assert "line 6: level 'surgery' is not one of ics, place, pcn, practice" in out
    assert "line 9: code 'GP1' is already on line 5" in out
    assert "line 10: a place needs a parent_code" in out
    assert "line 11: expected 4 values" in out
    # Parent problems are reported in the same run, in line order.
    assert "line 7: parent_code 'NOPE' is neither in this file nor in the database" in out
    assert "line 8: the parent of a practice must be a pcn; 'PL1' is a place" in out
    assert out.index("line 5:") < out.index("line 7:") < out.index("line 9:")
    assert "Traceback" not in out
    assert count(db) == 0


def test_parent_problems_are_reported_after_line_checks(runner, db, tmp_path):
    bad = """code,name,level,parent_code
ICS1,Example ICS,ics,
PL1,North place,place,ICS1
GP3,Gamma Surgery,practice,NOPE
GP4,Delta Surgery,practice,PL1
"""
    result = runner.invoke(args=["orgs", "import", write(tmp_path, bad)])
    assert result.exit_code == 1
    assert "line 4: parent_code 'NOPE' is neither in this file nor in the database" in result.output
    assert "line 5: the parent of a practice must be a pcn; 'PL1' is a place" in result.output
    assert count(db) == 0


def test_wrong_columns(runner, db, tmp_path):
    result = runner.invoke(args=["orgs", "import", write(tmp_path, "code,name,parent\nA,B,C\n")])
    assert result.exit_code == 1
    assert "line 1: the columns must be exactly code,name,level,parent_code" in result.output


def test_level_cannot_change(runner, db, tmp_path):
    runner.invoke(args=["orgs", "import", write(tmp_path, GOOD)])
    changed = "code,name,level,parent_code\nGP1,Alpha,pcn,PL1\n"
    result = runner.invoke(args=["orgs", "import", write(tmp_path, changed, "c.csv")])
    assert result.exit_code == 1 and "line 2: 'GP1' is a practice in the database" in result.output


def test_missing_file(runner, tmp_path):
    result = runner.invoke(args=["orgs", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "file not found" in result.output
