from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.db import Base


class OrgLevel(str, enum.Enum):
    ics = "ics"
    place = "place"
    pcn = "pcn"
    practice = "practice"

    @property
    def depth(self) -> int:
        return ["ics", "place", "pcn", "practice"].index(self.value)


class Organisation(Base):
    """ICS > place > PCN > practice. Responses are always recorded against a practice
    (or whatever leaf the wave was issued for); higher levels are sums of their children."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[OrgLevel] = mapped_column(Enum(OrgLevel, native_enum=False, length=16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    parent: Mapped["Organisation | None"] = relationship(remote_side="Organisation.id", back_populates="children")
    children: Mapped[list["Organisation"]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Organisation {self.code} {self.level.value}>"
