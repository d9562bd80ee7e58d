"""indicators.xlsx holds text as text: an organisation's name is typed in by an
administrator (or imported from a CSV), and a name beginning with "=" or looking like a
web address must reach the workbook as the characters typed, never as a formula or a link
that runs when the EDI lead opens the file."""
from __future__ import annotations

import errno
import io
import logging

import openpyxl
import pytest

from survey.models import Wave
from survey.releases.build import build_wave_release, params_from_config
from survey.releases.xlsx import indicators_xlsx
from tests.conftest import app_with_schema, base_test_config
from tests.releases_helpers import TODAY, add_random_responses, make_orgs, make_wave

FORMULA = '=HYPERLINK("http://example.invalid/x","Open me")'
ADDRESS = "https://example.invalid/practice"


def test_organisation_names_stay_text(tmp_path, database_url):
    with app_with_schema(base_test_config(tmp_path, database_url)) as app:
        db = app.extensions["survey.sessionmaker"]()
        orgs = make_orgs(db, {"ICSQ": {"PCNQ": ["Q1", "Q2"]}})
        orgs["PCNQ"].name = FORMULA
        orgs["ICSQ"].name = ADDRESS
        wave = make_wave(db, "Names 2024", orgs.values())
        add_random_responses(db, wave, [orgs["Q1"], orgs["Q2"]], [30, 25], seed=3)
        db.commit()
        built = build_wave_release(db, db.get(Wave, wave.id), params_from_config(app.config), today=TODAY)
        db.commit()
        data = indicators_xlsx(db, db.get(Wave, wave.id), built.release)
        db.close()
    book = openpyxl.load_workbook(io.BytesIO(data))          # not read-only: cells keep their types
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value in (FORMULA, ADDRESS)]
    assert {c.value for c in cells} == {FORMULA, ADDRESS}
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells)


def _cells(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [row for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_a_big_workbook_written_by_a_child_process_says_the_same(tmp_path, database_url, monkeypatch, caplog):
    """The report command has a big workbook written by a child process while it writes
    the CSV and the charts. What reaches the file, and what is kept with the release, is
    the workbook written in the parent; a child that fails or cannot start leaves it
    written here."""
    import sys

    import survey.releases.outputs as outputs
    import survey.releases.workbook as workbook
    import survey.releases.xlsx as xlsx
    from survey.models.releases import ReleasePart
    from survey.releases.outputs import write_release_files

    with app_with_schema(base_test_config(tmp_path, database_url)) as app:
        db = app.extensions["survey.sessionmaker"]()
        orgs = make_orgs(db, {"ICSC": {"PCNC": ["C1", "C2", "C3"]}})
        wave = make_wave(db, "Child 2024", orgs.values())
        add_random_responses(db, wave, [orgs["C1"], orgs["C2"], orgs["C3"]], [30, 25, 8], seed=5)
        db.commit()
        built = build_wave_release(db, db.get(Wave, wave.id), params_from_config(app.config), today=TODAY)
        db.commit()
        wave = db.get(Wave, wave.id)
        here = _cells(indicators_xlsx(db, wave, built.release))

        monkeypatch.setattr(xlsx, "BESIDE_CELLS", 1)
        with caplog.at_level(logging.INFO, logger="survey.releases.workbook"):
            write_release_files(db, wave, built.release, tmp_path / "out")
        db.commit()
        # the child said how much memory it took (bench/analysis.py adds it to the peak)
        peaks = [r.child_peak_mb for r in caplog.records if hasattr(r, "child_peak_mb")]
        assert len(peaks) == 1 and (peaks[0] is None or 10 < peaks[0] < 2000)
        assert _cells((tmp_path / "out" / "indicators.xlsx").read_bytes()) == here
        kept = db.query(ReleasePart).filter_by(release_id=built.release.id, kind="xlsx").one()
        assert kept.data == (tmp_path / "out" / "indicators.xlsx").read_bytes()

        for python, says in (("/bin/false", "could not be written"), (str(tmp_path / "no-python"), "could not start")):
            db.delete(db.query(ReleasePart).filter_by(release_id=built.release.id, kind="xlsx").one())
            db.commit()
            caplog.clear()
            with monkeypatch.context() as m, caplog.at_level(logging.WARNING):
                m.setattr(sys, "executable", python)
                data = xlsx.workbook_task(db, wave, built.release).result()
            assert _cells(data) == here
            assert any(says in r.getMessage() for r in caplog.records)

        # the caller fails while the child writes (here: the disk fills up under the CSV):
        # the child is stopped and its files go, with nothing kept
        db.delete(db.query(ReleasePart).filter_by(release_id=built.release.id, kind="xlsx").one())
        db.commit()
        children = []
        monkeypatch.setattr(xlsx, "Child", lambda plan: children.append(workbook.Child(plan)) or children[-1])

        def disk_full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(outputs, "table_csv_bytes", disk_full)
        with pytest.raises(OSError, match="No space"):
            write_release_files(db, wave, built.release, tmp_path / "bad")
        assert len(children) == 1 and children[0].proc.returncode is not None and not children[0].dir.exists()
        db.rollback()
        assert db.query(ReleasePart).filter_by(release_id=built.release.id, kind="xlsx").count() == 0
        db.close()


def test_a_report_written_over_another_leaves_none_of_its_files(tmp_path, database_url):
    """The EDI lead writes one wave's report, then another's into the same folder: no chart
    and no comments.csv of the first may stay beside the second's files, and whatever
    else is in the folder is left alone."""
    from survey.releases.build import release_indicators
    from survey.releases.outputs import write_release_files

    out = tmp_path / "out"
    with app_with_schema(base_test_config(tmp_path, database_url)) as app:
        db = app.extensions["survey.sessionmaker"]()
        orgs = make_orgs(db, {"ICSR": {"PCNR": ["R1", "R2"]}})
        waves = [make_wave(db, "Staff 2024", orgs.values()),
                 make_wave(db, "Race 2024", orgs.values(), survey_id="racial-discrimination")]
        for i, wave in enumerate(waves):
            add_random_responses(db, wave, [orgs["R1"], orgs["R2"]], [30, 25], seed=7 + i)
        db.commit()
        built = [build_wave_release(db, db.get(Wave, w.id), params_from_config(app.config), today=TODAY)
                 for w in waves]
        db.commit()
        write_release_files(db, db.get(Wave, waves[0].id), built[0].release, out)
        (out / "comments.csv").write_text("wave,comment\nStaff 2024,an earlier wave's words\n")
        (out / "my notes.txt").write_text("mine")
        first = {p.stem for p in (out / "charts").glob("*.svg")}
        paths = write_release_files(db, db.get(Wave, waves[1].id), built[1].release, out)
        second = release_indicators(built[1].release)
        db.close()
    assert set(second) < first                        # the race survey feeds fewer indicators
    assert {p.stem for p in (out / "charts").glob("*.svg")} == set(second)
    assert not (out / "comments.csv").exists() and (out / "my notes.txt").read_text() == "mine"
    assert {p.name for p in out.iterdir()} == {"indicators.csv", "indicators.xlsx", "response_rates.csv", "charts",
                                              "README.txt", "my notes.txt"}
    assert all(p.exists() for p in paths)
