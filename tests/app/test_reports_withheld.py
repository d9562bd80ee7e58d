"""A release that leaves a table out (the audit could not prove one of its cells safe): the
wave page and the workbook say what is missing, and the indicator page offers only the
characteristics that are there."""
from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest

from survey.disclosure import lpaudit
from survey.releases.build import build_wave_release, params_from_config
from tests.conftest import app_with_schema, base_test_config
from tests.releases_helpers import (TODAY, add_random_responses, make_orgs, make_staff_user, make_wave,
                                    sign_in_client)


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_url):
    cfg = base_test_config(tmp_path_factory.mktemp("withheld"), database_url, RATELIMIT_STAFF_LOGIN="1000/minute")
    real = lpaudit.exact_check

    def exact_check(grid, x, y, status, *args, **kw):
        # as if one suppressed WRES 7 group of the ethnicity table could not be protected
        lay = grid.layout
        cols = np.flatnonzero((np.array(lay.indicators)[lay.col_ind] == "wres7")
                              & (np.array(lay.dims)[lay.col_dim] == "ethnicity_group"))
        node, j = np.argwhere(status[:, cols] != 0)[0]
        return real(grid, x, y, status, *args, **kw) | {(int(node), int(cols[j]))}

    with app_with_schema(cfg) as app:
        db = app.extensions["survey.sessionmaker"]()
        orgs = make_orgs(db, {"ICSX": {"PCNA": ["A1", "A2", "A3"], "PCNB": ["B1", "B2"]}})
        wave = make_wave(db, "Closed 2024", orgs.values(), invited={"A1": 40, "A2": 30, "A3": 9, "B1": 50, "B2": 25})
        add_random_responses(db, wave, [orgs[c] for c in ("A1", "A2", "A3", "B1", "B2")], [30, 22, 6, 45, 14], seed=7)
        db.commit()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(lpaudit, "exact_check", exact_check)
            build_wave_release(db, wave, params_from_config(app.config), today=TODAY)
        db.commit()
        client = app.test_client()
        sign_in_client(client, db, make_staff_user(db, "edi_lead"))
        yield {"wave": wave, "client": client}
        db.close()


def test_the_wave_page_and_the_workbook_say_what_is_left_out(world):
    w, client = world["wave"].id, world["client"]
    page = client.get(f"/reports/waves/{w}").get_data(as_text=True)
    assert "Left out of this release" in page and "wres7, wdes5 by Ethnicity" in page
    assert "Passed" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/waves/{w}/download/indicators.xlsx").get_data()))
    notes = [tuple(r) for r in book["Notes"].iter_rows(values_only=True)]
    assert ("Not in this release", "wres7, wdes5 by Ethnicity (White, BME): some of its small numbers could not be protected.") in notes
    csv_text = client.get(f"/reports/waves/{w}/download/indicators.csv").get_data(as_text=True)
    assert ",wres7," in csv_text and not any(",wres7," in line and ",ethnicity_group," in line
                                             for line in csv_text.splitlines())


def test_the_indicator_page_offers_only_what_is_there(world):
    w, client = world["wave"].id, world["client"]
    # WRES 7 is shown by ethnicity unless asked otherwise; that table is not there
    page = client.get(f"/reports/waves/{w}/indicator?indicator=wres7&org=ALL")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="ethnicity_group"' not in text and 'value="disability"' in text
    gone = client.get(f"/reports/waves/{w}/indicator?indicator=wres7&org=ALL&dimension=ethnicity_group")
    assert gone.status_code == 400 and "That choice is not in these results" in gone.get_data(as_text=True)
    # an indicator whose default characteristic is there is unaffected
    assert client.get(f"/reports/waves/{w}/indicator?indicator=wres5&org=ALL&dimension=ethnicity_group").status_code == 200
