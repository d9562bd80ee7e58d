"""The quarterly return: aggregate, anonymous counts for one financial quarter
(Q1 = April to June; "2025Q1" is April to June 2025, "2025Q4" January to March 2026).

Counted: cases raised in the quarter (withdrawn ones too), by element (a case may have
several), raised anonymously, by organisation, and the answers to "would you speak up
again?" given in the quarter. Small counts (1..SPEAKUP_RETURN_MIN_COUNT) are suppressed
by the shared disclosure-control engine (survey.analysis), together with whatever
further cells are needed so that no suppressed count can be worked out from the others:
the table is a set of additive relations (all cases = the organisations; all cases =
anonymous + not anonymous; all cases = with element X + without it; all feedback = the
answers), and the complements that are not published are cells too.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey import csvsafe
from survey.models import ELEMENTS, Concern, Organisation
from survey.models.speakup import FEEDBACK_ANSWERS

QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]([1-4])\s*$")
COLUMNS = ["quarter", "section", "category", "label", "count", "status"]
TOTAL = "cases:all"
FEEDBACK_TOTAL = "feedback:all"


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> dt.date:
        month = 4 + 3 * (self.number - 1)
        return dt.date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        nxt = Quarter(self.year + (self.number == 4), self.number % 4 + 1).start
        return nxt - dt.timedelta(days=1)

    def describe(self) -> str:
        return f"{self.start.strftime('%-d %B %Y')} to {self.end.strftime('%-d %B %Y')}"


def parse_quarter(text: str) -> Quarter:
    match = QUARTER_RE.match(text or "")
    if not match:
        raise ValueError(f"'{text}' is not a quarter: write it like 2025Q1 (financial quarters; Q1 is April to June)")
    return Quarter(int(match.group(1)), int(match.group(2)))


def quarter_of(day: dt.date) -> Quarter:
    if day.month >= 4:
        return Quarter(day.year, (day.month - 4) // 3 + 1)
    return Quarter(day.year - 1, 4)


@dataclass
class Cell:
    id: str
    section: str
    category: str
    label: str
    value: int
    published: bool = True


def quarter_cells(session: Session, quarter: Quarter) -> tuple[list[Cell], list[tuple[str, list[str]]]]:
    """Every cell of the return (published or a hidden complement) and the relations
    (total, parts) between them, aggregated in the database."""
    in_q = Concern.raised_on.between(quarter.start, quarter.end)
    sums = [func.count(Concern.id), func.count(Concern.id).filter(Concern.is_anonymous.is_(True))]
    sums += [func.count(Concern.id).filter(getattr(Concern, "el_" + e).is_(True)) for e in ELEMENTS]
    total, anonymous, *by_element = session.execute(select(*sums).where(in_q)).one()
    cells = [Cell(TOTAL, "cases", "all", "Cases raised in the quarter", total)]
    relations: list[tuple[str, list[str]]] = []

    for key, n in zip(ELEMENTS, by_element):
        cells.append(Cell(f"element:{key}", "element", key, ELEMENTS[key], n))
        cells.append(Cell(f"element-not:{key}", "element-not", key, "Not " + ELEMENTS[key], total - n, published=False))
        relations.append((TOTAL, [f"element:{key}", f"element-not:{key}"]))

    cells.append(Cell("anonymous:yes", "anonymous", "yes", "Raised anonymously", anonymous))
    cells.append(Cell("anonymous:no", "anonymous", "no", "Raised openly or confidentially", total - anonymous, published=False))
    relations.append((TOTAL, ["anonymous:yes", "anonymous:no"]))

    by_org = session.execute(
        select(Organisation.code, Organisation.name, func.count(Concern.id))
        .select_from(Concern).outerjoin(Organisation, Organisation.id == Concern.org_id)
        .where(in_q).group_by(Organisation.code, Organisation.name).order_by(Organisation.name)).all()
    org_ids = []
    for code, name, n in by_org:
        cid = f"organisation:{code or 'not_stated'}"
        cells.append(Cell(cid, "organisation", code or "not_stated", name or "Not stated", n))
        org_ids.append(cid)
    if org_ids:
        relations.append((TOTAL, org_ids))

    answers = dict(session.execute(
        select(Concern.feedback_answer, func.count(Concern.id))
        .where(Concern.feedback_on.between(quarter.start, quarter.end), Concern.feedback_answer.is_not(None))
        .group_by(Concern.feedback_answer)).all())
    cells.append(Cell(FEEDBACK_TOTAL, "feedback", "all", "Answers to 'would you speak up again?'", sum(answers.values())))
    parts = []
    for key, label in FEEDBACK_ANSWERS.items():
        cells.append(Cell(f"feedback:{key}", "feedback", key, label, answers.get(key, 0)))
        parts.append(f"feedback:{key}")
    relations.append((FEEDBACK_TOTAL, parts))
    return cells, relations


def protect_cells(cells: list[Cell], relations: list[tuple[str, list[str]]], min_count: int,
                  protection: float = 2.0) -> dict[str, str]:
    """Status of every cell (ok / primary / secondary) from the shared engine.

    Primary: a count from 1 to `min_count`. A complement that is never published (cases
    without an element, cases not raised anonymously) matters only when it is itself
    small: then it is a primary cell and its relation stays, so the engine suppresses the
    published count beside it. Otherwise the relation is dropped: an unpublished, large
    complement protects nothing and needs no protecting. The headline total is never
    chosen as a secondary suppression.
    """
    from survey.analysis import Relations, protect
    from survey.disclosure.status import STATUS_NAMES

    small = {c.id for c in cells if 1 <= c.value <= min_count}
    hidden = {c.id for c in cells if not c.published}
    kept = [(total, parts) for total, parts in relations if not (hidden & set(parts)) or (hidden & set(parts) & small)]
    used = {TOTAL} | {cid for total, parts in kept for cid in [total, *parts]}
    table = [c for c in cells if c.published or c.id in used]
    index = {c.id: i for i, c in enumerate(table)}
    values = np.array([c.value for c in table], dtype=np.float64)
    rel = Relations.from_lists([(index[t], [index[p] for p in parts]) for t, parts in kept])
    primary = np.array([c.id in small for c in table])
    forbidden = np.array([c.id == TOTAL for c in table])
    result = protect(values, rel, primary, forbidden=forbidden, protection=protection)
    status = {c.id: str(STATUS_NAMES[result.status[index[c.id]]]) for c in table}
    if result.audit.failures:
        # Never publish what the engine could not protect: withhold every non-zero count.
        for c in table:
            if status[c.id] == "ok" and c.value > 0 and c.id != TOTAL:
                status[c.id] = "secondary"
    return status


def quarterly_return(session: Session, quarter: Quarter, min_count: int, protection: float = 2.0) -> pd.DataFrame:
    cells, relations = quarter_cells(session, quarter)
    status = protect_cells(cells, relations, min_count, protection)
    rows = []
    for c in cells:
        if not c.published:
            continue
        st = status.get(c.id, "ok")
        rows.append({"quarter": quarter.label, "section": c.section, "category": c.category, "label": c.label,
                     "count": c.value if st == "ok" else None, "status": st})
    return pd.DataFrame(rows, columns=COLUMNS)


def to_csv(table: pd.DataFrame) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table.itertuples(index=False):
        writer.writerow([row.quarter, row.section, row.category, row.label,
                         "" if row.count is None or pd.isna(row.count) else int(row.count), row.status])
    return out.getvalue()
