"""Organisations: ICS > place > PCN > practice. Import from CSV, list, and walk the tree.

CSV columns (exactly): code,name,level,parent_code. Level is ics, place, pcn or
practice; an ICS has no parent; every other organisation's parent is one level up and
is either in the same file or already in the database. Re-importing a file updates
names (and moves an organisation to a new parent) without creating duplicates. The
whole file is checked first and nothing is stored unless every line is right.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import audit
from survey.csvfile import InvalidFile, read_text, rows
from survey.models import Organisation, OrgLevel

COLUMNS = ("code", "name", "level", "parent_code")
LEVELS = [level.value for level in OrgLevel]
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class OrgRow:
    line: int
    code: str
    name: str
    level: OrgLevel
    parent_code: str | None


@dataclass
class ImportSummary:
    created: int = 0
    renamed: int = 0
    moved: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        total = self.created + self.renamed + self.moved + self.unchanged
        return (f"Imported {total} organisation{'s' if total != 1 else ''}: {self.created} new, "
                f"{self.renamed} renamed, {self.moved} moved, {self.unchanged} unchanged.")


def parse_orgs_csv(text: str) -> list[OrgRow]:
    """Check each line on its own (columns, code, name, level); raise InvalidFile."""
    result, problems = _parse(text)
    if problems:
        raise InvalidFile([message for _line, message in problems])
    return result


def _parse(text: str) -> tuple[list[OrgRow], list[tuple[int, str]]]:
    header, data = rows(text)
    if [h.lower() for h in header] != list(COLUMNS):
        raise InvalidFile([f"line 1: the columns must be exactly {','.join(COLUMNS)}; found {','.join(header)}"])
    problems: list[tuple[int, str]] = []
    result: list[OrgRow] = []
    seen: dict[str, int] = {}
    for line, values in data:
        if len(values) != len(COLUMNS):
            problems.append((line, f"line {line}: expected {len(COLUMNS)} values ({','.join(COLUMNS)}), found {len(values)}"))
            continue
        code, name, level, parent = (v.strip() for v in values)
        bad = []
        if not CODE_RE.match(code):
            bad.append(f"code '{code}' is not valid (letters, digits, '.', '_' or '-', at most 32)" if code
                       else "code is empty")
        elif code in seen:
            bad.append(f"code '{code}' is already on line {seen[code]}")
        if not name:
            bad.append("name is empty")
        elif len(name) > 200:
            bad.append(f"name is {len(name)} characters long; at most 200")
        if level.lower() not in LEVELS:
            bad.append(f"level '{level}' is not one of {', '.join(LEVELS)}")
        elif level.lower() == "ics" and parent:
            bad.append(f"an ICS has no parent; leave parent_code empty (found '{parent}')")
        elif level.lower() != "ics" and not parent:
            bad.append(f"a {level.lower()} needs a parent_code (its {LEVELS[LEVELS.index(level.lower()) - 1]})")
        if bad:
            problems.extend((line, f"line {line}: {b}") for b in bad)
            if code and code not in seen:
                seen[code] = line
            continue
        seen[code] = line
        result.append(OrgRow(line, code, name, OrgLevel(level.lower()), parent or None))
    if not result and not problems:
        problems.append((1, "the file has a header but no organisations"))
    return result, problems


def _relation_problems(org_rows: list[OrgRow], existing: dict[str, Organisation],
                       invalid_codes: set[str] = frozenset()) -> list[tuple[int, str]]:
    """Levels that change, parents that are missing or not one level up."""
    in_file = {r.code: r for r in org_rows}
    problems: list[tuple[int, str]] = []

    def add(line: int, message: str) -> None:
        problems.append((line, f"line {line}: {message}"))

    for r in org_rows:
        old = existing.get(r.code)
        if old is not None and old.level != r.level:
            add(r.line, f"'{r.code}' is a {old.level.value} in the database; its level cannot "
                        f"change to {r.level.value} (use a new code)")
        if r.parent_code is None or r.parent_code in invalid_codes:
            continue
        if r.parent_code in in_file:
            parent_level = in_file[r.parent_code].level
        elif r.parent_code in existing:
            parent_level = existing[r.parent_code].level
        else:
            parent_level = None
        if parent_level is None:
            add(r.line, f"parent_code '{r.parent_code}' is neither in this file nor in the database")
        elif parent_level.depth != r.level.depth - 1:
            want = LEVELS[r.level.depth - 1]
            add(r.line, f"the parent of a {r.level.value} must be a {want}; "
                        f"'{r.parent_code}' is a {parent_level.value}")
    return problems


def import_orgs(session: Session, org_rows: list[OrgRow], actor_id: int | None = None) -> ImportSummary:
    """Check the rows against each other and the database, then store them all or none."""
    existing = {o.code: o for o in session.scalars(select(Organisation))}
    problems = _relation_problems(org_rows, existing)
    if problems:
        raise InvalidFile([message for _line, message in problems])

    summary = ImportSummary()
    by_code = dict(existing)
    for r in sorted(org_rows, key=lambda r: r.level.depth):
        parent = by_code[r.parent_code] if r.parent_code else None
        org = by_code.get(r.code)
        if org is None:
            org = Organisation(code=r.code, name=r.name, level=r.level, parent=parent)
            session.add(org)
            by_code[r.code] = org
            summary.created += 1
            continue
        changed = False
        if org.name != r.name:
            org.name = r.name
            summary.renamed += 1
            changed = True
        if (org.parent.code if org.parent else None) != r.parent_code:
            org.parent = parent
            summary.moved += 1
            changed = True
        if not changed:
            summary.unchanged += 1
    session.flush()
    audit.record(session, actor_id, "orgs.import", "organisation", None,
                 {"created": summary.created, "renamed": summary.renamed, "moved": summary.moved})
    return summary


def import_orgs_file(session: Session, path, actor_id: int | None = None) -> ImportSummary:
    """Every problem of the file at once (each line on its own, then parents), or the import."""
    text = read_text(path)
    org_rows, problems = _parse(text)
    if problems:
        good = {r.code for r in org_rows}
        bad_codes = _codes_on_bad_lines(text, problems) - good
        existing = {o.code: o for o in session.scalars(select(Organisation))}
        problems += _relation_problems(org_rows, existing, bad_codes)
        raise InvalidFile([message for _line, message in sorted(problems, key=lambda p: p[0])])
    return import_orgs(session, org_rows, actor_id)


def _codes_on_bad_lines(text: str, problems: list[tuple[int, str]]) -> set[str]:
    """Codes given on lines that have problems: a child pointing at one is not reported again."""
    bad_lines = {line for line, _message in problems}
    _header, data = rows(text)
    return {values[0].strip() for line, values in data if line in bad_lines and values}


# --- the tree ------------------------------------------------------------------------------

def org_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.code == code.strip()))


def tree(session: Session) -> list[tuple[int, Organisation]]:
    """Every organisation with its depth below its root, parents before children."""
    orgs = list(session.scalars(select(Organisation).order_by(Organisation.code)))
    children: dict[int | None, list[Organisation]] = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    out: list[tuple[int, Organisation]] = []

    def walk(org: Organisation, depth: int) -> None:
        out.append((depth, org))
        for child in children.get(org.id, []):
            walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    return out


def descendants(session: Session, org: Organisation) -> list[Organisation]:
    """The organisation and everything below it."""
    orgs = list(session.scalars(select(Organisation)))
    children: dict[int | None, list[Organisation]] = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    out, stack = [], [org]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current.id, []))
    return out


def leaves_below(session: Session, org: Organisation) -> list[Organisation]:
    """The organisations with nothing below them in `org`'s subtree (usually practices)."""
    below = descendants(session, org)
    parents = {o.parent_id for o in below}
    return sorted((o for o in below if o.id not in parents), key=lambda o: o.code)
