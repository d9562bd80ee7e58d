"""indicators.xlsx holds text as text: an organisation's name is typed in by an
administrator (or imported from a CSV), and a name beginning with "=" or looking like a
web address must reach the workbook as the characters typed, never as a formula or a link
that runs when the EDI lead opens the file."""
from __future__ import annotations

import io

import openpyxl

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
