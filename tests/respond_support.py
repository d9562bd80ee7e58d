"""Builders for the answering tests: a definition made with the dataclasses, waves,
organisations, invitations and open links made directly with the models."""
from __future__ import annotations

import datetime as dt
import uuid

from survey.crypto import new_token
from survey.definitions.model import Option, Question, QuestionType, Routing, Section, SurveyDefinition
from survey.extensions import hash_token
from survey.models import Invitation, OpenLink, Organisation, OrgLevel, Wave, WaveMode, WaveOrganisation

YES_NO = (Option("1", "Yes"), Option("2", "No"))
TIMES = tuple(Option(str(i), label) for i, label in enumerate(["Never", "1-2", "3-5", "6-10", "More than 10"], start=1))
AGREE = tuple(Option(str(i), label) for i, label in enumerate(
    ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"], start=1))
GROUNDS = tuple(Option(str(i), label) for i, label in enumerate(
    ["Ethnic background", "Gender", "Religion", "Sexual orientation", "Disability", "Age", "Other"], start=1))
ETHNICITY = (Option("01", "White: British"), Option("02", "White: Irish"), Option("09", "Asian: Indian"),
             Option("14", "Black: African"), Option("18", "Any other ethnic group"), Option("19", "Prefer not to say"))
DISABILITY = (Option("1", "Yes"), Option("2", "No"), Option("3", "Prefer not to say"))


def definition() -> SurveyDefinition:
    return SurveyDefinition(
        id="test-survey", title="Test staff survey", version="1",
        description="A survey for tests.",
        sections=(
            Section("health", "Your health and work", (
                Question("q11d", "In the last three months have you ever come to work despite not feeling well enough to perform your duties?", QuestionType.single, YES_NO),
                Question("q11e", "Have you felt pressure from your manager to come to work?", QuestionType.single, YES_NO, show_if=Routing("q11d", ("1",))),
                Question("q25e", "I feel safe to speak up about anything that concerns me in this organisation", QuestionType.scale, AGREE),
            )),
            Section("discrimination", "Harassment and discrimination", (
                Question("q14a", "In the last 12 months how many times have you experienced harassment, bullying or abuse from patients?", QuestionType.single, TIMES, required=True),
                Question("q16b", "Have you experienced discrimination from a manager or colleagues?", QuestionType.single, YES_NO),
                Question("q16c", "On what grounds have you experienced discrimination?", QuestionType.multiple, GROUNDS, show_if=Routing("q16b", ("1",))),
            )),
            Section("comments", "Anything else", (
                Question("comment", "Is there anything else you would like to tell us?", QuestionType.free_text, max_length=500),
            )),
            Section("about_you", "About you", (
                Question("ethnicity", "What is your ethnic background?", QuestionType.single, ETHNICITY, demographic=True),
                Question("disability", "Do you have a long-term condition or illness?", QuestionType.single, DISABILITY, demographic=True),
                Question("team", "Which team do you work in?", QuestionType.single, (Option("a", "Front desk"), Option("b", "Clinical"))),
            )),
        ),
    )


def make_org(db, code: str | None = None) -> Organisation:
    org = Organisation(code=code or "P" + uuid.uuid4().hex[:6], name="Test Practice", level=OrgLevel.practice)
    db.add(org)
    db.flush()
    return org


def make_wave(db, defn: SurveyDefinition | None = None, mode: WaveMode = WaveMode.invitation,
              opens: dt.date | None = None, closes: dt.date | None = None, closed: bool = False,
              org: Organisation | None = None) -> tuple[Wave, Organisation]:
    today = dt.date.today()
    defn = defn or definition()
    org = org or make_org(db)
    wave = Wave(name="wave-" + uuid.uuid4().hex[:8], survey_id=defn.id, definition_json=defn.to_json(), mode=mode,
                opens_on=opens or today - dt.timedelta(days=3), closes_on=closes or today + dt.timedelta(days=30),
                is_closed=closed)
    db.add(wave)
    db.flush()
    db.add(WaveOrganisation(wave_id=wave.id, org_id=org.id, invited=10))
    db.commit()
    return wave, org


def make_token(db, wave: Wave, org: Organisation, used: bool = False) -> str:
    token = new_token()
    db.add(Invitation(token_hash=hash_token(token), wave_id=wave.id, org_id=org.id, is_used=used))
    db.commit()
    return token


def make_open_link(db, wave: Wave, org: Organisation) -> str:
    slug = uuid.uuid4().hex[:12]
    db.add(OpenLink(slug=slug, wave_id=wave.id, org_id=org.id))
    db.commit()
    return slug


# --- a test client whose every request runs in its own app context ----------------------
# The `app` fixture keeps an app context pushed for the whole test, and Flask reuses it
# for requests made from the same thread, so `g` (the request's database session, the
# cached CSRF token) would otherwise be shared by every request and every client of a
# test. Production has a fresh context per request; so do these clients.

from tests.conftest import FreshContextClient  # noqa: E402


def fresh_client(app) -> FreshContextClient:
    return FreshContextClient(app, app.response_class, use_cookies=True)
