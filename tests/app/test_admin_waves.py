"""Admin wave pages: list by status, create (a parent includes its practices), close early,
open-link waves' shared links and invited counts."""
import datetime as dt

import pytest
from sqlalchemy import select

from survey.models import AuditEvent, OpenLink, WaveMode, WaveOrganisation
from tests.support.admin import (  # noqa: F401  (fixtures)
    TODAY, admin_client, create, fresh, fresh_g_per_request, get_wave, orgs,
)
from tests.conftest import post_form

def test_create_includes_the_practices_below(admin_client, orgs, db):
    form = admin_client.get("/admin/waves/new").get_data(as_text=True)
    assert "staff-experience" in form and "Riverside PCN (PCN1)" in form
    resp = create(admin_client)
    assert resp.status_code == 302
    wave = get_wave(db)
    assert wave.mode is WaveMode.invitation and wave.survey_id == "staff-experience"
    codes = sorted(db.scalars(select(WaveOrganisation.org_id).where(WaveOrganisation.wave_id == wave.id)))
    assert len(codes) == 2   # P001 and P002, not the PCN itself
    detail = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "High Street Surgery" in detail and "Mill Lane Practice" in detail and "Hilltop" not in detail
    assert "Issue invitation links" in detail
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.create"))
    assert event.actor_id == admin_client.admin.id and event.object_id == str(wave.id)
    listing = admin_client.get("/admin/waves").get_data(as_text=True)
    assert "Open now" in listing and "Spring" in listing


@pytest.mark.parametrize("over, message", [
    ({"closes": TODAY - dt.timedelta(days=5)}, "before it opens"),
    ({"opens": ("31", "2", "2025")}, "The date the wave opens must be a real date"),
    ({"opens": ("", "3", "2025")}, "The date the wave opens must include a day"),
    ({"opens": ("1", "", "")}, "The date the wave opens must include a month and a year"),
    ({"opens": ("1", "3", "25")}, "The date the wave opens must include a year with 4 numbers"),
    ({"opens": ("1st", "March", "2025")}, "The date the wave opens must be a real date, in numbers"),
    ({"closes": ("", "", "")}, "Enter the last day answers are accepted"),
    ({"opens": "31/03/2025"}, "The date the wave opens must be a real date"),
    ({"orgs": []}, "Choose at least one organisation"),
    ({"orgs": ["NOPE"]}, "There is a problem"),
    ({"survey": "no-such-survey"}, "There is a problem"),
    ({"name": "  "}, "Enter a name for the wave"),
    ({"mode": "carrier-pigeon"}, "There is a problem"),
])
def test_bad_wave_input_is_explained(admin_client, orgs, db, over, message):
    resp = create(admin_client, **over)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True).replace("&#39;", "'")
    assert get_wave(db) is None


def test_a_duplicate_name_is_refused(admin_client, orgs, db):
    assert create(admin_client).status_code == 302
    resp = create(admin_client)
    assert resp.status_code == 200 and b"exists already" in resp.data


def test_close_a_wave_early(admin_client, orgs, db):
    create(admin_client)
    wave = get_wave(db)
    url = f"/admin/waves/{wave.id}/close"
    assert b"Close the wave" in admin_client.get(url).data
    resp = post_form(admin_client, url, {})
    assert resp.status_code == 302
    assert get_wave(db).is_closed is True
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.close")).actor_id == admin_client.admin.id
    listing = admin_client.get("/admin/waves").get_data(as_text=True)
    assert listing.index(">Spring</a>") > listing.index(">Closed<")
    # Closing again is a clear message, not an error.
    assert admin_client.get(url).status_code == 302
    detail = admin_client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "Close this wave now" not in detail and "Issue invitation links" not in detail


def test_not_yet_open_wave_is_listed_as_such(admin_client, orgs):
    create(admin_client, opens=(TODAY + dt.timedelta(days=10)),
           closes=(TODAY + dt.timedelta(days=20)))
    listing = admin_client.get("/admin/waves").get_data(as_text=True)
    assert listing.index(">Not yet open<") < listing.index(">Spring</a>") < listing.index(">Closed<")


def test_open_link_wave_shows_links_and_records_invited(admin_client, orgs, db):
    resp = create(admin_client, mode="open_link", orgs=["ICS1"])
    assert resp.status_code == 302
    wave = get_wave(db)
    links = db.scalars(select(OpenLink).where(OpenLink.wave_id == wave.id)).all()
    assert len(links) == 3
    detail = admin_client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    for link in links:
        assert f"/respond/o/{link.slug}" in detail
    assert "Issue invitation links" not in detail
    resp = post_form(admin_client, f"/admin/waves/{wave.id}/invited", {"org": "P003", "invited": "14"},
                     get_url=f"/admin/waves/{wave.id}")
    assert resp.status_code == 302
    fresh(db)
    row = db.scalar(select(WaveOrganisation).where(WaveOrganisation.wave_id == wave.id,
                                                   WaveOrganisation.invited == 14))
    assert row is not None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.invited")).actor_id == admin_client.admin.id
    resp = post_form(admin_client, f"/admin/waves/{wave.id}/invited", {"org": "P003", "invited": "lots"},
                     get_url=f"/admin/waves/{wave.id}")
    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nothing was recorded" in page


def test_unknown_wave_is_404(admin_client):
    assert admin_client.get("/admin/waves/999").status_code == 404
    assert admin_client.get("/admin/waves/999/close").status_code == 404


def test_close_without_csrf_is_refused(admin_client, orgs, db):
    create(admin_client)
    wave = get_wave(db)
    assert admin_client.post(f"/admin/waves/{wave.id}/close", data={}).status_code == 400
    assert get_wave(db).is_closed is False


def test_a_broken_instance_survey_does_not_block_new_waves(app, admin_client, orgs):
    from pathlib import Path
    folder = Path(app.instance_path) / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.yaml").write_text("id: [\n")
    assert b"Files that cannot be used" in admin_client.get("/admin/surveys").data
    assert create(admin_client).status_code == 302


def test_missing_shared_links_can_be_created(app, admin_client, orgs, db):
    from survey.definitions import find_survey
    from survey.waves import create_wave
    # As `flask --app survey waves create --open-link` leaves it: no links until asked for.
    wave = create_wave(db, find_survey(None, "staff-experience"), "CLI wave", ["PCN2"], TODAY, TODAY, open_link=True)
    db.commit()
    page = admin_client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "None yet" in page and "Create the missing shared links" in page
    resp = post_form(admin_client, f"/admin/waves/{wave.id}/links", {}, get_url=f"/admin/waves/{wave.id}")
    assert resp.status_code == 302
    fresh(db)
    slug = db.scalar(select(OpenLink.slug).where(OpenLink.wave_id == wave.id))
    assert f"/respond/o/{slug}" in admin_client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.open_links")).actor_id == admin_client.admin.id


def test_the_wave_dates_are_nhs_date_inputs(admin_client, orgs, db):
    """Issue 21 item 20: dates were free text in ISO form, with messages like "Enter opens
    on as year-month-day"."""
    import re
    form = admin_client.get("/admin/waves/new").get_data(as_text=True)
    for name in ("opens", "closes"):
        for part in ("day", "month", "year"):
            assert f'id="{name}-{part}" name="{name}-{part}" type="text" inputmode="numeric"' in form
    assert 'name="opens"' not in form
    bad = create(admin_client, opens=("30", "2", "2025"))
    page = bad.get_data(as_text=True)
    assert '<a href="#opens-day">The date the wave opens must be a real date</a>' in page
    assert re.search(r'id="opens-day" name="opens-day" type="text" inputmode="numeric" value="30"', page)
    assert re.search(r'id="opens-month" name="opens-month"[^>]*value="2"', page)
    assert create(admin_client).status_code == 302


def test_only_a_wave_closed_before_its_last_day_is_closed_early(admin_client, orgs, db):
    """Issue 21 item 20: a wave that closed on its date was labelled "Closed early"."""
    create(admin_client, name="Early")
    create(admin_client, name="On time", opens=TODAY - dt.timedelta(days=20), closes=TODAY)
    create(admin_client, name="Past", opens=TODAY - dt.timedelta(days=40), closes=TODAY - dt.timedelta(days=10))
    for name in ("Early", "On time"):
        assert post_form(admin_client, f"/admin/waves/{get_wave(db, name).id}/close", {}).status_code == 302
    # A wave marked closed after its date (as the demo does) was not closed early either.
    past = get_wave(db, "Past")
    past.is_closed = True
    db.commit()
    listing = admin_client.get("/admin/waves").get_data(as_text=True)
    rows = {name: listing.split(f">{name}</a>")[1].split("</tr>")[0] for name in ("Early", "On time", "Past")}
    assert "(closed early)" in rows["Early"]
    assert "(closed early)" not in rows["On time"] and "(closed early)" not in rows["Past"]
    for name, words in (("Early", "Closed early"), ("On time", "Closed"), ("Past", "Closed")):
        detail = admin_client.get(f"/admin/waves/{get_wave(db, name).id}").get_data(as_text=True)
        status = detail.split("Status</dt>")[1].split("</dd>")[0]
        assert status.strip().endswith(words) and (words == "Closed early" or "early" not in status), (name, status)


def test_the_organisation_picker_reads_without_dashes(admin_client, orgs):
    """Issue 21 item 20: names were prefixed with "— — —", which screen readers read out."""
    import html
    import re
    form = html.unescape(admin_client.get("/admin/waves/new").get_data(as_text=True))
    labels = re.findall(r'<label class="nhsuk-label nhsuk-checkboxes__label" for="orgs[^"]*">([^<]+)</label>', form)
    assert labels and not [l for l in labels if "—" in l or l.startswith("-")], labels
    assert "Riverside PCN (PCN1)" in labels
    item = form.split('>Riverside PCN (PCN1)</label>')[0].rsplit('<div class="nhsuk-checkboxes__item', 1)[1]
    assert "app-depth-" in item.split(">")[0]
    hint = form.split('>Riverside PCN (PCN1)</label>')[1].split("</div>")[0]
    assert re.search(r"PCN in \S", hint), hint


def test_a_page_with_form_errors_says_error_first_in_its_title(admin_client, orgs, app):
    """Issue 21 item 20 (and every other form): the title did not start with "Error:"."""
    import re

    def title(resp):
        return re.search(r"<title>([^<]*)</title>", resp.get_data(as_text=True)).group(1)

    assert title(admin_client.get("/admin/waves/new")) == "Create a wave - Staff voice"
    assert title(create(admin_client, name=" ")) == "Error: Create a wave - Staff voice"
    assert title(post_form(admin_client, "/admin/staff/new", {"email": "not an address", "role": "guardian"})).startswith("Error: ")
    public = app.test_client()
    assert title(post_form(public, "/speakup/raise", {"text": ""})).startswith("Error: Raise a concern")
    assert title(post_form(public, "/speakup/followup", {"reference": "x", "key": "y"})).startswith("Error: ")
    assert not title(public.get("/speakup/raise")).startswith("Error")


def test_people_read_dates_in_nhs_style_and_survey_titles(admin_client, orgs, db, app, make_staff, sign_in):
    """Issue 21 item 20: "04 Jan 2027" in one place, ISO in another, and survey ids."""
    import re
    create(admin_client, opens=dt.date(2030, 1, 4), closes=dt.date(2030, 2, 1))
    wave = get_wave(db)
    pages = {"waves": admin_client.get("/admin/waves").get_data(as_text=True),
             "wave": admin_client.get(f"/admin/waves/{wave.id}").get_data(as_text=True),
             "audit": admin_client.get("/admin/audit").get_data(as_text=True)}
    edi = app.test_client()
    sign_in(edi, make_staff("edi_lead"))
    pages["reports"] = edi.get("/reports/").get_data(as_text=True)
    pages["report wave"] = edi.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    for name in ("waves", "wave", "reports", "report wave"):
        body = pages[name]
        assert "4 January 2030 to 1 February 2030" in body, name
        assert "Staff experience survey" in body, name
        assert "2030-01-04" not in body and "04 Jan" not in body, name
    assert "<code>staff-experience</code>" not in pages["waves"]
    today = dt.date.today()
    assert f"{today.day} {today:%B %Y}, " in pages["audit"] and not re.search(r"\d{4}-\d\d-\d\d \d\d:", pages["audit"])
