"""The data model, one module per domain. Importing this package registers every table."""
from survey.db import Base
from survey.models.orgs import Organisation, OrgLevel
from survey.models.surveys import Wave, WaveOrganisation, Invitation, Draft, OpenLink, WaveMode
from survey.models.responses import Response, Comment, BANK_COLUMNS, DEMOGRAPHIC_COLUMNS
from survey.models.staff import StaffUser, Role
from survey.models.audit import AuditEvent
from survey.models.speakup import Concern, ConcernMessage, ConcernNote, ConcernStatus, ELEMENTS

__all__ = [
    "Base", "Organisation", "OrgLevel", "Wave", "WaveOrganisation", "Invitation", "Draft",
    "OpenLink", "WaveMode", "Response", "Comment", "BANK_COLUMNS", "DEMOGRAPHIC_COLUMNS",
    "StaffUser", "Role", "AuditEvent", "Concern", "ConcernMessage", "ConcernNote",
    "ConcernStatus", "ELEMENTS",
]
from survey.models.releases import Release, ReleasePart  # noqa: E402
__all__ += ["Release", "ReleasePart"]
from survey.models.jobs import ReleaseBuild, ReleaseWatcher  # noqa: E402
__all__ += ["ReleaseBuild", "ReleaseWatcher"]
