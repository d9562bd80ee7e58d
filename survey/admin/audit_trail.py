"""The audit trail for administrators: every event, newest first, paginated, filter by action.

Reading only; the trail is append-only and written by the operations themselves.
"""
from __future__ import annotations

import json

from flask import render_template, request
from sqlalchemy import func, select

from survey.admin import bp
from survey.auth import staff_required
from survey.db import get_session
from survey.models import AuditEvent, StaffUser

PER_PAGE = 50


def _detail(text: str | None) -> str:
    if not text:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        return ", ".join(f"{k}: {v}" for k, v in data.items())
    return str(data)


@bp.route("/audit")
@staff_required("admin")
def audit():
    db = get_session()
    actions = list(db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    action = request.args.get("action", "").strip()
    if action not in actions:
        action = ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(AuditEvent, StaffUser.email).outerjoin(StaffUser, StaffUser.id == AuditEvent.actor_id)
    count = select(func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
        count = count.where(AuditEvent.action == action)
    total = db.scalar(count)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(page, pages)
    rows = db.execute(query.order_by(AuditEvent.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    events = [{"event": ev, "actor": email, "detail": _detail(ev.detail)} for ev, email in rows]
    return render_template("admin/audit.html", events=events, actions=actions, action=action, page=page,
                           pages=pages, total=total)
