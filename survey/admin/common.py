"""Small helpers shared by the admin views: who is acting, and the structured log line."""
from __future__ import annotations

from survey.auth import current_staff
from survey.logs import staff_event


def actor_id() -> int:
    return current_staff().id


def log(action: str, **fields) -> None:
    """Log a staff action: the actor and object ids, never a token, link or file content."""
    staff_event(action, actor_id=actor_id(), **fields)
