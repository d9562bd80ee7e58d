"""The trend page says which closed waves it leaves out and why (issue 21, item 18)."""
from __future__ import annotations

import datetime as dt
import html

from survey.releases.build import build_wave_release, params_from_config
from tests.releases_helpers import TODAY, add_random_responses, make_orgs, make_wave


def test_the_trend_names_closed_waves_without_prepared_results(app, db, make_staff, sign_in):
    orgs = make_orgs(db, {"ICST": {"PCNT": ["T1", "T2"]}})
    practices = [orgs["T1"], orgs["T2"]]
    ready = make_wave(db, "Staff experience 2025", orgs.values())
    add_random_responses(db, ready, practices, [25, 20], seed=4)
    waiting = make_wave(db, "Staff experience 2024", orgs.values(), opens=TODAY - dt.timedelta(days=400),
                        closes=TODAY - dt.timedelta(days=360))
    add_random_responses(db, waiting, practices, [22, 18], seed=5)
    make_wave(db, "Staff experience 2026", orgs.values(), closed=False)
    other = make_wave(db, "Race equality 2024", orgs.values(), survey_id="racial-discrimination")
    db.commit()
    build_wave_release(db, ready, params_from_config(app.config), today=TODAY)
    db.commit()
    edi = app.test_client()
    sign_in(edi, make_staff("edi_lead"))
    resp = edi.get(f"/reports/waves/{ready.id}/trend")
    assert resp.status_code == 200
    page = html.unescape(resp.get_data(as_text=True))
    note = page.split('class="nhsuk-inset-text app-left-out"')[1].split("</div>")[0]
    assert "have not been prepared yet" in note
    assert f'href="/reports/waves/{waiting.id}">Staff experience 2024</a>' in note
    assert "Staff experience 2026" not in note and other.name not in note and "Staff experience 2025" not in note
    assert "Waves still open are not included" in page
