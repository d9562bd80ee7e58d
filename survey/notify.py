"""E-mail that something is waiting, with no content. Off unless MAIL_SERVER is set.

Guardians: a message says only that something is waiting ("a new case", "a reply") and
where to sign in: no reference, no content. People who spoke up: only a confidential
reporter who gave an address for it, and only "the guardian has replied": no reference, no
name, no content (anonymous reporters are never e-mailed; the page that shows their key
says when to check back). Messages go out from `flask --app survey speakup notify`, run
from cron (for example at 08:00 and 13:00), not at the moment of writing: an e-mail's
arrival time would otherwise tell its reader when, to the minute, a message was written.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey.config import base_url
from survey.crypto import KeyRing, KeyRingError
from survey.models import Concern, ConcernStatus, Role, StaffUser

log = logging.getLogger("survey")


@dataclass
class Digest:
    new_cases: int
    updates: int
    sent: int


def compose(config, new_cases: int, updates: int) -> EmailMessage:
    parts = []
    if new_cases:
        parts.append("a new case" if new_cases == 1 else f"{new_cases} new cases")
    if updates:
        parts.append("a reply or update" if updates == 1 else f"{updates} replies or updates")
    msg = EmailMessage()
    msg["Subject"] = "Freedom to Speak Up: something is waiting for you"
    msg["From"] = config.get("MAIL_FROM", "ftsu-noreply@localhost")
    base = base_url(config)
    msg.set_content(
        f"There is {' and '.join(parts)} waiting on the guardian's desk.\n\n"
        f"Sign in to read it: {base}/guardian/\n\n"
        "This e-mail contains no case details on purpose.\n")
    return msg


def send(config, recipients: list[str], msg: EmailMessage) -> int:
    """Send `msg` to each recipient separately; return how many were accepted."""
    if not config.get("MAIL_SERVER") or not recipients:
        return 0
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=15) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        for address in recipients:
            del msg["To"]
            msg["To"] = address
            smtp.send_message(msg, to_addrs=[address])
            sent += 1
    return sent


def notify_guardians(session: Session, config) -> Digest:
    """Send one digest if anything arrived since the last one, then clear the flags.

    When mail is off the flags are left alone, so turning it on later sends one digest.
    A failure to send is logged (its type only) and the flags stay set for the next run.
    """
    pending = list(session.scalars(select(Concern).where(Concern.notify_pending.is_(True))))
    new_cases = sum(1 for c in pending if c.status is ConcernStatus.new and not c.messages)
    updates = len(pending) - new_cases
    if not pending or not config.get("MAIL_SERVER"):
        return Digest(new_cases, updates, 0)
    recipients = list(session.scalars(select(StaffUser.email).where(
        StaffUser.role == Role.guardian, StaffUser.is_active.is_(True)).order_by(StaffUser.id)))
    try:
        sent = send(config, recipients, compose(config, new_cases, updates))
    except (OSError, smtplib.SMTPException) as exc:
        log.error("guardian notification failed: %s", type(exc).__name__)
        return Digest(new_cases, updates, 0)
    session.execute(update(Concern).where(Concern.id.in_([c.id for c in pending])).values(notify_pending=False))
    return Digest(new_cases, updates, sent)


def compose_for_reporter(config) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "Freedom to Speak Up: the guardian has replied"
    msg["From"] = config.get("MAIL_FROM", "ftsu-noreply@localhost")
    base = base_url(config)
    msg.set_content(
        "The Freedom to Speak Up guardian has replied to a concern you raised.\n\n"
        f"Read it with your case reference and access key: {base}/speakup/followup\n\n"
        "This e-mail contains nothing about your concern on purpose. You asked for it when you\n"
        "raised your concern; it stops when your case is withdrawn or its text is erased.\n")
    return msg


def notify_reporters(session: Session, ring: KeyRing, config) -> int:
    """Tell each confidential reporter who asked that a reply is waiting; returns how many
    were sent. Flags stay set when mail is off or sending fails (tried again next run)."""
    pending = list(session.scalars(select(Concern).where(Concern.reporter_notify_pending.is_(True))))
    if not pending or not config.get("MAIL_SERVER"):
        return 0
    sent, done = 0, []
    for concern in pending:
        try:
            address = ring.decrypt(concern.notify_address)
        except KeyRingError:
            address = None
        if not address:
            done.append(concern.id)
            continue
        try:
            sent += send(config, [address], compose_for_reporter(config))
        except (OSError, smtplib.SMTPException) as exc:
            log.error("reporter notification failed: %s", type(exc).__name__)
            continue
        done.append(concern.id)
    if done:
        session.execute(update(Concern).where(Concern.id.in_(done)).values(reporter_notify_pending=False))
    return sent
