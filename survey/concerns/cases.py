"""Raising a concern and finding it again from its reference and access key.

The reference is random (8 Crockford characters, two groups) and says nothing about when
or where the case was raised. The access key (100 random bits) is shown once and stored
only as argon2id over an HMAC under ACCESS_KEY_PEPPER. `find_case_by_key` costs one slow
hash whether or not the reference exists, gives one answer for a wrong reference and a
wrong key, and counts every attempt against the reference and against the client.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.crypto import ACCESS_KEY_ALPHABET, KeyRing, SlowHasher, new_access_key, normalise_access_key
from survey.models import ELEMENTS, Concern, ConcernStatus
from survey.ratelimit import RateLimiter

REFERENCE_CHARS = 8
REFERENCE_GROUP = 4
MAX_TEXT = 20000
MAX_CONTACT = 500

# Scopes of the rate limiter (the identities are hashed inside the limiter).
SCOPE_FOLLOWUP_REF = "speakup-followup-ref"
SCOPE_FOLLOWUP_CLIENT = "speakup-followup-client"
SCOPE_SUBMIT_CLIENT = "speakup-submit-client"


MAX_ADDRESS = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email_address(text: str) -> bool:
    text = (text or "").strip()
    return len(text) <= MAX_ADDRESS and bool(_EMAIL.match(text))


class CaseNotFound(LookupError):
    """The reference or the key is not right (deliberately not saying which)."""


class RateLimited(RuntimeError):
    """Too many attempts for this reference or from this client."""


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def new_reference() -> str:
    chars = "".join(secrets.choice(ACCESS_KEY_ALPHABET) for _ in range(REFERENCE_CHARS))
    return chars[:REFERENCE_GROUP] + "-" + chars[REFERENCE_GROUP:]


def normalise_reference(typed: str | None) -> str | None:
    """Accept lower case, spaces, a missing dash, O for 0 and I/L for 1."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != REFERENCE_CHARS or any(ch not in ACCESS_KEY_ALPHABET for ch in cleaned):
        return None
    return cleaned[:REFERENCE_GROUP] + "-" + cleaned[REFERENCE_GROUP:]


@dataclass
class ConcernInput:
    text: str
    elements: list[str] = field(default_factory=list)
    org_id: int | None = None
    anonymous: bool = True
    contact: str | None = None    # name and how to reach them; confidential cases only
    notify_address: str | None = None   # an e-mail address for "you have a reply"; confidential only

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not (self.text or "").strip():
            errors["text"] = "Describe what happened"
        elif len(self.text) > MAX_TEXT:
            errors["text"] = f"What happened must be {MAX_TEXT} characters or fewer"
        unknown = [e for e in self.elements if e not in ELEMENTS]
        if unknown:
            errors["elements"] = "Choose from the list of what the concern involves"
        if not self.anonymous:
            if not (self.contact or "").strip():
                errors["contact"] = "Enter your name and how the guardian can contact you, or choose to stay anonymous"
            elif len(self.contact) > MAX_CONTACT:
                errors["contact"] = f"Contact details must be {MAX_CONTACT} characters or fewer"
        if self.notify_address:
            if self.anonymous:
                errors["notify_address"] = "Only confidential concerns can be told of a reply by e-mail"
            elif not is_email_address(self.notify_address):
                errors["notify_address"] = "Enter an e-mail address like name@example.com, or leave it empty"
        return errors


@dataclass
class NewCase:
    concern: Concern
    reference: str
    access_key: str


def raise_concern(session: Session, ring: KeyRing, hasher: SlowHasher, data: ConcernInput,
                  on: dt.date | None = None) -> NewCase:
    """Store a new case and return it with its reference and access key (shown once)."""
    problems = data.problems()
    if problems:
        raise ValueError("; ".join(problems.values()))
    reference = new_reference()
    while session.scalar(select(Concern.id).where(Concern.reference == reference)) is not None:
        reference = new_reference()   # 32^8 references: a clash is rare
    key = new_access_key()
    concern = Concern(
        reference=reference,
        access_key_hash=hasher.hash(key),
        org_id=data.org_id,
        is_anonymous=data.anonymous,
        status=ConcernStatus.new,
        text=ring.encrypt(data.text.strip()),
        contact=None if data.anonymous else ring.encrypt(data.contact.strip()),
        notify_address=ring.encrypt(data.notify_address.strip()) if data.notify_address and not data.anonymous else None,
        raised_on=on or today(),
        unread_by_guardian=1,
        unread_by_reporter=0,
        notify_pending=True,
    )
    for element in ELEMENTS:
        setattr(concern, "el_" + element, element in data.elements)
    session.add(concern)
    session.flush()
    return NewCase(concern, reference, key)


def find_case_by_key(session: Session, hasher: SlowHasher, limiter: RateLimiter, reference: str, key: str,
                     client: str, per_reference: str, per_client: str, hot_cost: int = 5) -> Concern:
    """The case for (reference, key), or CaseNotFound / RateLimited.

    Only the client's own limit (`per_client`) refuses an attempt. A reference is never
    locked: anyone who sees a reference could otherwise lock its reporter out, and a
    100-bit key needs no lockout. Wrong keys against one reference are counted instead
    (`per_reference`); once that many have been tried, every further wrong key against it
    costs its client `hot_cost` attempts, so guessers of a known reference are slowed five
    times while the right key, from any client within its own limit, always opens the case.

    `client` is only ever passed to the rate limiter, which keeps a keyed hash of it for
    the length of its window; it is not stored or logged here.
    """
    ref = normalise_reference(reference)
    ref_id = ref or (reference or "").strip().upper()[:40]
    if not limiter.hit(per_client, SCOPE_FOLLOWUP_CLIENT, client or ""):
        raise RateLimited()
    concern = session.scalar(select(Concern).where(Concern.reference == ref)) if ref else None
    stored = concern.access_key_hash if concern is not None else None
    typed = normalise_access_key(key or "") or (key or "")[:200]
    # Exactly one slow verification on every path: a missing case costs the same.
    if not hasher.verify(stored, typed):
        if not limiter.hit(per_reference, SCOPE_FOLLOWUP_REF, ref_id):
            limiter.hit(per_client, SCOPE_FOLLOWUP_CLIENT, client or "", cost=hot_cost - 1)
        raise CaseNotFound()
    return concern
