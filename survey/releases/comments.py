"""Free-text comments of a closed wave: only where enough people answered, never by group.

A comment has no link to its response, so it can never be shown beside a characteristic.
An organisation's comments (its own, and those of every organisation below it) are shown
only when at least MIN_CELL people answered there. Showing two levels could still single
out a small organisation by difference: a PCN's comments minus those of its shown practices
are the comments of the others. So for every shown organisation, the answers NOT covered by
shown organisations below it must number 0 or at least MIN_CELL; when they do not, the
smallest shown branch below is hidden as well. Order is shuffled on every reading.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Comment, Organisation, Response, Wave
from survey.releases.build import require_finished

WAVE_CODE = "ALL"


@dataclass
class Node:
    code: str
    name: str
    level: str
    parent: str | None
    answered: int = 0
    children: list | None = None


def _tree(session: Session, wave: Wave) -> tuple[dict[str, Node], dict[int, str]]:
    per_org = dict(session.execute(select(Response.org_id, func.count()).where(Response.wave_id == wave.id)
                                   .group_by(Response.org_id)).all())
    orgs = session.execute(select(Organisation.id, Organisation.code, Organisation.name, Organisation.level,
                                  Organisation.parent_id)).all()
    by_id = {o.id: o for o in orgs}
    code_of = {o.id: o.code for o in orgs}
    nodes: dict[str, Node] = {WAVE_CODE: Node(WAVE_CODE, wave.name, "wave", None, 0, [])}
    for org_id, n in per_org.items():
        oid = org_id
        child = None
        while oid is not None:
            o = by_id[oid]
            node = nodes.get(o.code)
            if node is None:
                parent = code_of.get(o.parent_id) if o.parent_id else WAVE_CODE
                node = nodes[o.code] = Node(o.code, o.name, getattr(o.level, "value", o.level), parent, 0, [])
            node.answered += n
            if child is not None and child not in node.children:
                node.children.append(child)
            child = o.code
            oid = o.parent_id
        nodes[WAVE_CODE].answered += n
        if child not in nodes[WAVE_CODE].children:
            nodes[WAVE_CODE].children.append(child)
    return nodes, code_of


def shown_organisations(nodes: dict[str, Node], min_cell: int) -> set[str]:
    """Codes of the organisations whose comments may be shown (see the module docstring)."""
    shown = {c for c, n in nodes.items() if n.answered >= min_cell}

    def maximal_shown_below(code: str) -> list[str]:
        out, stack = [], list(nodes[code].children)
        while stack:
            c = stack.pop()
            if c in shown:
                out.append(c)
            else:
                stack.extend(nodes[c].children)
        return out

    def hide_subtree(code: str) -> None:
        stack = [code]
        while stack:
            c = stack.pop()
            shown.discard(c)
            stack.extend(nodes[c].children)

    order = sorted(nodes, key=lambda c: ["wave", "ics", "place", "pcn", "practice"].index(nodes[c].level)
                   if nodes[c].level in ("wave", "ics", "place", "pcn", "practice") else 9)
    for code in order:                       # top down: a hidden branch is never revisited
        if code not in shown:
            continue
        below = maximal_shown_below(code)
        rest = nodes[code].answered - sum(nodes[c].answered for c in below)
        if 0 < rest < min_cell and below:
            hide_subtree(min(below, key=lambda c: (nodes[c].answered, c)))
    return shown


def comment_organisations(session: Session, wave: Wave, min_cell: int, today: dt.date) -> list[Node]:
    """Organisations whose comments can be read, wave first, then by level and code."""
    require_finished(wave, today)
    nodes, _ = _tree(session, wave)
    shown = shown_organisations(nodes, min_cell)
    rank = {"wave": 0, "ics": 1, "place": 2, "pcn": 3, "practice": 4}
    return sorted((nodes[c] for c in shown), key=lambda n: (rank.get(n.level, 9), n.code))


def read_comments(session: Session, wave: Wave, org_code: str, min_cell: int, today: dt.date, keyring) -> list[tuple[str, str]]:
    """(question id, text) of every comment at or below the organisation, in shuffled order.
    Raises LookupError if the organisation's comments may not be shown."""
    require_finished(wave, today)
    nodes, code_of = _tree(session, wave)
    if org_code not in shown_organisations(nodes, min_cell):
        raise LookupError(org_code)
    below, stack = set(), [org_code]
    while stack:
        c = stack.pop()
        below.add(c)
        stack.extend(nodes[c].children)
    ids = [oid for oid, code in code_of.items() if code in below]
    rows = session.execute(select(Comment.question_id, Comment.body)
                           .where(Comment.wave_id == wave.id, Comment.org_id.in_(ids))).all()
    out = [(q, keyring.decrypt(body)) for q, body in rows]
    secrets.SystemRandom().shuffle(out)
    return out
