"""Re-encrypt every encrypted column under the newest key of a ring, in the caller's
transaction: concerns (text, contact, lessons, feedback comment, notification address), messages, notes,
survey comments, drafts and staff TOTP secrets.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey.crypto import KeyRing
from survey.models import Comment, Concern, ConcernMessage, ConcernNote, Draft, StaffUser

# (label, model, primary key columns, encrypted columns)
ENCRYPTED = [
    ("concerns", Concern, ("id",), ("text", "contact", "lessons", "feedback_comment", "notify_address")),
    ("concern messages", ConcernMessage, ("id",), ("body",)),
    ("concern notes", ConcernNote, ("id",), ("body",)),
    ("survey comments", Comment, ("id",), ("body",)),
    ("drafts", Draft, ("key_hash",), ("payload",)),
    ("staff TOTP secrets", StaffUser, ("id",), ("totp_secret",)),
]
BATCH = 500


def reencrypt_all(session: Session, ring: KeyRing) -> dict[str, int]:
    """Rotate every stored ciphertext to `ring`'s newest key; return values re-encrypted per table.

    Raises KeyRingError (and the caller rolls back) if any value cannot be decrypted.
    """
    counts: dict[str, int] = {}
    for label, model, pk_names, columns in ENCRYPTED:
        pks = [getattr(model, n) for n in pk_names]
        cols = [getattr(model, c) for c in columns]
        rows = session.execute(select(*pks, *cols).order_by(*pks)).all()
        n = 0
        for row in rows:
            key = row[:len(pks)]
            values = {}
            for name, blob in zip(columns, row[len(pks):]):
                if blob is not None:
                    values[name] = ring.rotate(blob)
                    n += 1
            if values:
                cond = [pk == k for pk, k in zip(pks, key)]
                session.execute(update(model).where(*cond).values(**values).execution_options(synchronize_session=False))
        counts[label] = n
    session.flush()
    session.expire_all()
    return counts
