"""Staff account operations: create, set up, sign in, disable, reset. No Flask requests here."""
from __future__ import annotations

import datetime as dt
import re
import secrets

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey import audit
from survey.crypto import KeyRing, SlowHasher, token_hash
from survey.models import Role, StaffUser

SETUP_LINK_HOURS = 72
TOTP_ISSUER = "Staff voice"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12


class AccountError(ValueError):
    pass


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def create_user(session: Session, pepper: str, email: str, role: str, actor_id: int | None = None) -> tuple[StaffUser, str]:
    """Create an account and return it with a one-time set-up token (shown once)."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise AccountError(f"'{email}' is not an email address.")
    try:
        role_enum = Role(role)
    except ValueError:
        raise AccountError(f"Unknown role '{role}': choose one of {', '.join(r.value for r in Role)}.") from None
    if session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise AccountError(f"An account for {email} exists already; reset its factors instead.")
    token = secrets.token_urlsafe(32)
    user = StaffUser(email=email, role=role_enum, created_at=now(), setup_token_hash=token_hash(pepper, token),
                     setup_expires_at=now() + dt.timedelta(hours=SETUP_LINK_HOURS))
    session.add(user)
    session.flush()
    audit.record(session, actor_id, "staff.create", "staff", user.id, {"role": role_enum.value})
    return user, token


def reset_factors(session: Session, pepper: str, user: StaffUser, actor_id: int | None) -> str:
    """Clear password and TOTP, sign out every session, and issue a new set-up token."""
    token = secrets.token_urlsafe(32)
    user.password_hash = None
    user.totp_secret = None
    user.totp_last_step = 0
    user.session_epoch += 1
    user.setup_token_hash = token_hash(pepper, token)
    user.setup_expires_at = now() + dt.timedelta(hours=SETUP_LINK_HOURS)
    audit.record(session, actor_id, "staff.reset_factors", "staff", user.id)
    return token


def set_active(session: Session, user: StaffUser, active: bool, actor_id: int | None) -> None:
    user.is_active = active
    user.session_epoch += 1
    audit.record(session, actor_id, "staff.enable" if active else "staff.disable", "staff", user.id)


def user_for_setup_token(session: Session, pepper: str, token: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.setup_token_hash == token_hash(pepper, token)))
    if user is None or not user.is_active or user.setup_expires_at is None or _aware(user.setup_expires_at) < now():
        return None
    return user


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def check_password_rules(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Choose a password of at least {MIN_PASSWORD} characters (a few unrelated words work well)."
    return None


def totp_step(secret: str, code: str, last_step: int, at: dt.datetime | None = None) -> int | None:
    """The time step a code belongs to (current or one either side), if newer than last_step."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    at = at or now()
    current = totp.timecode(at)
    for step in (current - 1, current, current + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def complete_setup(session: Session, hasher: SlowHasher, ring: KeyRing, user: StaffUser, password: str,
                   secret: str, code: str) -> str | None:
    """Set password and TOTP; returns an error message or None."""
    problem = check_password_rules(password)
    if problem:
        return problem
    step = totp_step(secret, code, 0)
    if step is None:
        return "The code from your authenticator app is not right. Check the app shows this service and enter the 6 digits shown now."
    user.password_hash = hasher.hash(password)
    user.totp_secret = ring.encrypt(secret)
    user.totp_last_step = step
    user.setup_token_hash = None
    user.setup_expires_at = None
    user.session_epoch += 1
    audit.record(session, user.id, "staff.setup", "staff", user.id)
    return None


def authenticate(session: Session, hasher: SlowHasher, ring: KeyRing, email: str, password: str, code: str) -> StaffUser | None:
    """Check all three together; the caller says only 'not right', never which one failed."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == (email or "").strip().lower()))
    stored = user.password_hash if (user and user.is_active and user.is_set_up) else None
    if not hasher.verify(stored, password or ""):
        return None
    secret = ring.decrypt(user.totp_secret)
    step = totp_step(secret, code, user.totp_last_step)
    if step is None:
        return None
    # A code is accepted once: the conditional UPDATE refuses a replay, also a racing one.
    claimed = session.execute(
        update(StaffUser).where(StaffUser.id == user.id, StaffUser.totp_last_step < step).values(totp_last_step=step)
    ).rowcount
    if claimed != 1:
        return None
    session.refresh(user)
    audit.record(session, user.id, "staff.sign_in", "staff", user.id)
    return user
