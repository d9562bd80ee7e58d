from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, DateTime, Enum, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base


class Role(str, enum.Enum):
    guardian = "guardian"
    edi_lead = "edi_lead"
    admin = "admin"


class StaffUser(Base):
    """A guardian, EDI lead or administrator. Password (argon2id) and TOTP are both required."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)   # encrypted with the key ring
    # The last TOTP time step accepted: a code is refused unless its step is newer (no replay).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to sign out every session of the account (disable, reset of factors).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # One-time set-up link: hash of its token and expiry (UTC).
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    @property
    def is_set_up(self) -> bool:
        return self.password_hash is not None and self.totp_secret is not None
