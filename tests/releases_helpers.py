"""Arranging waves, organisations and responses directly through the models (no pages)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from survey.models import Organisation, OrgLevel, Response, Wave, WaveOrganisation
from survey.models.responses import BANK_COLUMNS, DEMOGRAPHIC_COLUMNS

TODAY = dt.date.today()


def shipped_definition_json(survey_id: str = "staff-experience") -> str:
    """The shipped definition, as a wave stores it."""
    from survey.definitions import find_survey
    return find_survey(None, survey_id).to_json()


def make_orgs(db, spec: dict) -> dict[str, Organisation]:
    """spec: {ics_code: {pcn_code: [practice codes]}}, one place per ICS called <ics>-PL."""
    out = {}
    for ics_code, pcns in spec.items():
        ics = Organisation(code=ics_code, name=f"ICS {ics_code}", level=OrgLevel.ics)
        place = Organisation(code=f"{ics_code}-PL", name=f"Place of {ics_code}", level=OrgLevel.place, parent=ics)
        out[ics_code], out[place.code] = ics, place
        for pcn_code, practices in pcns.items():
            pcn = Organisation(code=pcn_code, name=f"PCN {pcn_code}", level=OrgLevel.pcn, parent=place)
            out[pcn_code] = pcn
            for p in practices:
                out[p] = Organisation(code=p, name=f"Practice {p}", level=OrgLevel.practice, parent=pcn)
    db.add_all(out.values())
    db.flush()
    return out


def make_wave(db, name: str, orgs, *, closed=True, survey_id="staff-experience", opens=None, closes=None,
              invited: dict | None = None) -> Wave:
    opens = opens or (TODAY - dt.timedelta(days=60))
    closes = closes or (TODAY - dt.timedelta(days=10) if closed else TODAY + dt.timedelta(days=10))
    wave = Wave(name=name, survey_id=survey_id, definition_json=shipped_definition_json(survey_id),
                opens_on=opens, closes_on=closes, is_closed=False)
    wave.organisations = [WaveOrganisation(org_id=o.id, invited=(invited or {}).get(o.code, 0))
                          for o in orgs if o.level == OrgLevel.practice]
    db.add(wave)
    db.flush()
    return wave


def add_response(db, wave, org, day=None, **answers) -> Response:
    unknown = set(answers) - set(BANK_COLUMNS) - set(DEMOGRAPHIC_COLUMNS) - {"q16c"}
    assert not unknown, unknown
    r = Response(wave_id=wave.id, org_id=org.id, submitted_on=day or wave.opens_on, **answers)
    db.add(r)
    return r


def add_random_responses(db, wave, practices, sizes, seed=1, bme_share=0.25) -> None:
    """Random respondents with real group differences, `sizes[i]` for practices[i]."""
    rng = np.random.default_rng(seed)
    for org, n in zip(practices, sizes):
        for _ in range(n):
            bme = rng.random() < bme_share
            eth = str(rng.choice(["09", "10", "14", "05"])) if bme else str(rng.choice(["01", "01", "04"]))
            if rng.random() < 0.06:
                eth = None
            dis = str(rng.choice(["1", "2", "2", "2", "2", "3"]))
            answers = dict(
                ethnicity=eth, disability=dis, sex=str(rng.choice(["1", "1", "1", "2", "5"])),
                age_band=str(rng.choice(["2", "3", "4", "5"])), gender_identity="1",
                sexual_orientation=str(rng.choice(["1", "1", "1", "1", "2", "5"])),
                religion=str(rng.choice(["1", "2", "2", "6", "9"])),
                staff_group=str(rng.choice(["1", "2", "7", "7", "6"])),
                reasonable_adjustments=str(rng.choice(["1", "2", "3"])) if dis == "1" else "3",
                q14a=int(rng.choice([1, 1, 2, 3] if bme else [1, 1, 1, 2])),
                q14b=int(rng.choice([1, 1, 1, 2])), q14c=int(rng.choice([1, 1, 2])),
                q14d=int(rng.choice([1, 2, 3, 9])), q15=int(rng.choice([1, 2, 9] if bme else [1, 1, 2, 9])),
                q16a=int(rng.choice([1, 2, 2])), q16b=int(rng.choice([1, 2, 2, 2] if bme else [2, 2, 2, 1, 2, 2])),
                q17a=int(rng.choice([1, 1, 1, 2])), q17b=int(rng.choice([1, 1, 1, 1, 2])),
                q11d=int(rng.choice([1, 2])), q4b=int(rng.integers(1, 6)),
            )
            answers["q11e"] = int(rng.choice([1, 2])) if answers["q11d"] == 1 else None
            if rng.random() < 0.05:
                answers["q15"] = None
            add_response(db, wave, org, **answers)
    db.flush()


def make_staff_user(db, role: str):
    """An active, set-up staff account (as the make_staff fixture makes) for module-scoped apps."""
    import uuid
    import pyotp
    from survey.extensions import keyring, password_hasher
    from survey.models import Role, StaffUser
    from tests.conftest import TEST_PASSWORD
    secret = pyotp.random_base32()
    user = StaffUser(email=f"{role}-{uuid.uuid4().hex[:6]}@example.nhs.uk", role=Role(role),
                     password_hash=password_hasher().hash(TEST_PASSWORD), totp_secret=keyring().encrypt(secret),
                     is_active=True, created_at=dt.datetime.now(dt.timezone.utc))
    db.add(user)
    db.commit()
    user.totp_plain = secret
    return user


def sign_in_client(client, db, user) -> None:
    import pyotp
    from survey.models import StaffUser
    from tests.conftest import TEST_PASSWORD, post_form
    db.get(StaffUser, user.id).totp_last_step = 0
    db.commit()
    resp = post_form(client, "/auth/sign-in", {"email": user.email, "password": TEST_PASSWORD,
                                                "code": pyotp.TOTP(user.totp_plain).now()})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
