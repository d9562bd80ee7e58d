"""The speak-up start page names a guardian and says where else to go (issue 21, item 11)."""
from __future__ import annotations

import html

from survey import create_app
from tests.conftest import base_test_config
from tests.releases_helpers import make_orgs


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def test_a_practice_gets_the_guardian_of_its_pcn(app, client, db):
    orgs = make_orgs(db, {"ICSG": {"PCNG": ["G1", "G2"], "PCNH": ["H1"]}})
    db.commit()
    app.config["GUARDIAN_CONTACTS"] = {"PCNG": "Ada Lovelace, 07700 900001", "ICSG": "Grace Hopper, 07700 900002"}
    assert "Ada Lovelace, 07700 900001" in _text(client.get("/speakup/?org=G1"))
    assert "Grace Hopper, 07700 900002" in _text(client.get("/speakup/?org=H1"))     # no PCN guardian: the ICS's
    listed = _text(client.get("/speakup/"))
    assert "PCN PCNG</strong>: Ada Lovelace" in listed and "ICS ICSG</strong>: Grace Hopper" in listed
    assert orgs["G1"].parent.code == "PCNG"


def test_open_speaking_up_points_at_the_guardian_and_other_places_are_named(app, client):
    page = _text(client.get("/speakup/"))
    assert 'href="#your-guardian"' in page and 'id="your-guardian"' in page
    assert "details below" not in page
    for name in ("Protect", "Care Quality Commission (CQC)", "National Guardian's Office", "NHS England"):
        assert f"<strong>{name}</strong>" in page, name
    app.config["SPEAKUP_ELSEWHERE"] = [["Local Counter Fraud Specialist", "For fraud: 0800 028 4060."]]
    page = _text(client.get("/speakup/"))
    assert "<strong>Local Counter Fraud Specialist</strong>: For fraud: 0800 028 4060." in page and "Protect" not in page


def test_a_demo_instance_names_its_guardians(tmp_path):
    (tmp_path / "instance").mkdir()
    demo = create_app(base_test_config(tmp_path, DEMO=True))
    assert "Sam Okafor" in demo.config["GUARDIAN_CONTACTS"]["QDM"]
    assert "PCN-RC" in demo.config["GUARDIAN_CONTACTS"]
    chosen = create_app(base_test_config(tmp_path, DEMO=True, GUARDIAN_CONTACTS={"QDM": "Someone else"}))
    assert chosen.config["GUARDIAN_CONTACTS"] == {"QDM": "Someone else"}


def test_the_organisation_list_is_grouped_by_level(app, client, db):
    """Issue 21 item 14: practices, PCNs, places and the ICS were mixed alphabetically."""
    import re
    orgs = make_orgs(db, {"ICSZ": {"PCNZ": ["Z1", "Z2"]}})
    db.commit()
    page = _text(client.get("/speakup/raise"))
    select_html = page.split('<select class="nhsuk-select" id="org"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select_html, re.S)
    assert [g for g, _ in groups] == ["GP practices", "Primary care networks (PCNs)", "Places",
                                      "Integrated care systems (ICSs)"]
    names = {g: re.findall(r">([^<]+)</option>", body) for g, body in groups}
    assert names["GP practices"] == ["Practice Z1", "Practice Z2"]
    assert names["Primary care networks (PCNs)"] == ["PCN PCNZ"] and names["Places"] == ["Place of ICSZ"]
    assert select_html.index("Prefer not to say") < select_html.index("<optgroup")
    from tests.conftest import post_form
    resp = post_form(client, "/speakup/raise", {"text": "At the PCN hub og01", "org": str(orgs["PCNZ"].id),
                                                "contact_mode": "anonymous"})
    assert resp.status_code == 303
