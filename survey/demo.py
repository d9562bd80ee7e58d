"""The demo instance: an example ICS, waves of the shipped surveys with synthetic
responses, demo staff accounts and a few unused invitation links. Idempotent: what
exists already is left alone (only fresh links are issued on every run, because the
earlier ones cannot be recovered: the database keeps only their hashes)."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey import audit
from survey.answers import response_date
from survey.auth.accounts import provisioning_uri
from survey.definitions import available_surveys
from survey.demo_cases import DemoCase, build_cases
from survey.demo_data import ICS, PRACTICES, org_rows, respondent
from survey.invitations import issue_tokens, token_link
from survey.models import Comment, Invitation, Organisation, OrgLevel, Response, Role, StaffUser, Wave
from survey.models.responses import BANK_COLUMNS, BANK_MULTI_COLUMNS, DEMOGRAPHIC_COLUMNS, random_id
from survey.orgs import OrgRow, import_orgs
from survey.response_import import CellStorage, bulk_insert
from survey.waves import create_wave

PASSWORD = "staff voice demo"
ACCOUNTS = [("guardian@staffvoice.example", Role.guardian), ("edi.lead@staffvoice.example", Role.edi_lead),
            ("admin@staffvoice.example", Role.admin)]
LINKS_SHOWN = 5
# A few practices whose culture is noticeably better or worse than the rest.
PRACTICE_FACTOR = {"DM007": 1.4, "DM004": 1.2, "DM002": 0.75, "DM010": 0.85}


@dataclass(frozen=True)
class WavePlan:
    name: str
    survey_id: str
    opens_on: dt.date
    closes_on: dt.date
    year_index: int          # 0 = two years ago, 2 = now
    response_rate: float


@dataclass
class DemoResult:
    created_waves: list[str] = field(default_factory=list)
    kept_waves: list[str] = field(default_factory=list)
    responses: int = 0
    comments: int = 0
    links: list[tuple[str, str]] = field(default_factory=list)       # (practice name, link)
    accounts: list[tuple[str, str, str, bool]] = field(default_factory=list)  # email, role, secret, created
    orgs: str = ""
    case: "DemoCase | None" = None        # a speak-up case whose key is printed once


def wave_plans(today: dt.date) -> list[WavePlan]:
    def shifted(days_back: int, length: int) -> tuple[dt.date, dt.date]:
        opens = today - dt.timedelta(days=days_back)
        return opens, opens + dt.timedelta(days=length)

    plans = []
    for years_ago, index, rate in ((3, 0, 0.70), (2, 0, 0.72), (1, 1, 0.78)):
        opens, closes = shifted(365 * years_ago + 14, 42)
        plans.append(WavePlan(f"Staff experience {closes.year}", "staff-experience", opens, closes, index, rate))
    for survey_id, title, back in (("racial-discrimination", "Race equality", 300 + 365),
                                   ("racial-discrimination", "Race equality", 300),
                                   ("bullying-harassment", "Bullying and harassment", 240),
                                   ("equal-opportunities", "Equal opportunities", 180)):
        opens, closes = shifted(back, 28)
        plans.append(WavePlan(f"{title} {closes.year}", survey_id, opens, closes, 1, 0.7))
    opens, closes = shifted(14, 42)
    plans.append(WavePlan(f"Staff experience {closes.year}", "staff-experience", opens, closes, 2, 0.38))
    return plans


def _orgs(session: Session) -> str:
    rows = [OrgRow(i + 2, code, name, OrgLevel(level), parent or None)
            for i, (code, name, level, parent) in enumerate(org_rows())]
    return str(import_orgs(session, rows))


def _fill_wave(session: Session, ring, wave: Wave, definition, plan: WavePlan, resolution: str,
               today: dt.date, orgs: dict[str, Organisation], result: DemoResult) -> dict[str, int]:
    """Synthetic responses for every practice; returns how many answered per practice."""
    rng = random.Random(f"demo:{plan.name}")
    to_storage = CellStorage(definition)
    asked = {q.id for q in definition.questions()}
    last_day = min(plan.closes_on, today)
    span = max((last_day - plan.opens_on).days, 0)
    empty = dict.fromkeys(BANK_COLUMNS + BANK_MULTI_COLUMNS + DEMOGRAPHIC_COLUMNS)
    responses, comments, answered = [], [], {}
    for code, _name, _pcn, staff in PRACTICES:
        org = orgs[code]
        n = min(staff, max(1, round(staff * plan.response_rate * rng.uniform(0.8, 1.2))))
        answered[code] = n
        factor = PRACTICE_FACTOR.get(code, 1.0) * rng.uniform(0.92, 1.08)
        for _ in range(n):
            answers = respondent(rng, plan.year_index, factor, with_comment=rng.random() < 0.06)
            stored = to_storage({k: v for k, v in answers.items() if k in asked})
            day = response_date(plan.opens_on + dt.timedelta(days=rng.randint(0, span)), resolution)
            responses.append({**empty, "id": random_id(), "wave_id": wave.id, "org_id": org.id,
                              "submitted_on": day, "extra_json": stored.extra_json, **stored.columns})
            comments.extend({"id": random_id(), "wave_id": wave.id, "org_id": org.id, "question_id": qid,
                             "body": ring.encrypt(text)} for qid, text in stored.comments)
    bulk_insert(session, Response, responses)
    bulk_insert(session, Comment, comments)
    result.responses += len(responses)
    result.comments += len(comments)
    return answered


def _links(session: Session, hash_token, base_url: str, wave: Wave, orgs: dict[str, Organisation],
           answered: dict[str, int] | None, result: DemoResult) -> None:
    """Issue the open wave's tokens (first run: one per member of staff) and show five."""
    shown_codes = [code for code, *_rest in PRACTICES][:LINKS_SHOWN]
    shown_hashes = []
    for code, name, _pcn, staff in PRACTICES:
        if answered is not None:                      # first run: everyone gets a link
            tokens = issue_tokens(session, hash_token, wave, code, staff)
            used = answered.get(code, 0)
        elif code in shown_codes:                     # later runs: fresh links to show
            tokens = issue_tokens(session, hash_token, wave, code, 1)
            used = 0
        else:
            continue
        if code in shown_codes:
            result.links.append((name, token_link(base_url, tokens[-1])))
            shown_hashes.append(hash_token(tokens[-1]))
        if used:
            # The staff who have answered used their links (which ones does not matter).
            pick = select(Invitation.token_hash).where(
                Invitation.wave_id == wave.id, Invitation.org_id == orgs[code].id, Invitation.is_used.is_(False),
                Invitation.token_hash.not_in(shown_hashes)).limit(used)
            session.execute(update(Invitation).where(Invitation.token_hash.in_(pick)).values(is_used=True))


def _accounts(session: Session, ring, hasher, result: DemoResult) -> None:
    for email, role in ACCOUNTS:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        created = user is None or not user.is_set_up
        if user is None:
            user = StaffUser(email=email, role=role, created_at=dt.datetime.now(dt.timezone.utc))
            session.add(user)
        if created:
            secret = pyotp.random_base32()
            user.password_hash = hasher.hash(PASSWORD)
            user.totp_secret = ring.encrypt(secret)
            user.totp_last_step = 0
            user.is_active = True
            session.flush()
            audit.record(session, None, "staff.create", "staff", user.id, {"role": role.value, "demo": True})
        else:
            secret = ring.decrypt(user.totp_secret)
        result.accounts.append((email, role.value, secret, created))


def build_demo(session: Session, *, ring, hasher, hash_token, base_url: str, resolution: str,
               today: dt.date | None = None) -> DemoResult:
    today = today or dt.date.today()
    result = DemoResult(orgs=_orgs(session))
    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    surveys = available_surveys()
    plans = wave_plans(today)
    for plan in plans:
        wave = session.scalar(select(Wave).where(Wave.name == plan.name))
        is_open = plan.closes_on >= today
        if wave is not None:
            result.kept_waves.append(plan.name)
            if is_open:
                _links(session, hash_token, base_url, wave, orgs, None, result)
            continue
        definition = surveys[plan.survey_id]
        wave = create_wave(session, definition, plan.name, [ICS[0]], plan.opens_on, plan.closes_on)
        result.created_waves.append(plan.name)
        answered = _fill_wave(session, ring, wave, definition, plan, resolution, today, orgs, result)
        if is_open:
            _links(session, hash_token, base_url, wave, orgs, answered, result)
        else:
            wave.is_closed = True
            staff = {orgs[code].id: size for code, _n, _p, size in PRACTICES}
            for row in wave.organisations:
                row.invited = staff.get(row.org_id, 0)
    _accounts(session, ring, hasher, result)
    result.case = build_cases(session, ring, hasher, today)
    return result


def totp_uri(email: str, secret: str) -> str:
    return provisioning_uri(secret, email)
