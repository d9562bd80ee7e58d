"""The quarterly return against a hand-counted set of cases, through the shared engine."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from survey.concerns.quarterly import parse_quarter, quarter_cells, quarter_of, quarterly_return, to_csv
from survey.db import Base
from survey.models import Concern, ConcernStatus, Organisation, OrgLevel


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


def _case(s, raised, org=None, anon=False, elements=(), feedback=None, feedback_on=None, n=1):
    import secrets
    for _ in range(n):
        c = Concern(reference=secrets.token_hex(4), access_key_hash="x", org_id=org.id if org else None,
                    is_anonymous=anon, status=ConcernStatus.new, raised_on=raised,
                    feedback_answer=feedback, feedback_on=feedback_on)
        for e in elements:
            setattr(c, "el_" + e, True)
        s.add(c)
    s.flush()


def test_quarters_are_financial():
    q = parse_quarter("2025Q1")
    assert (q.start, q.end) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    q4 = parse_quarter(" 2025q4 ")
    assert (q4.start, q4.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert parse_quarter("2025Q3").end == dt.date(2025, 12, 31)
    assert quarter_of(dt.date(2026, 2, 1)).label == "2025Q4" and quarter_of(dt.date(2025, 4, 1)).label == "2025Q1"
    for bad in ("2025Q5", "2025-1", "", "Q1 2025"):
        with pytest.raises(ValueError, match="like 2025Q1"):
            parse_quarter(bad)


def test_return_matches_hand_counts(session):
    s = session
    a = Organisation(code="A", name="Alpha Surgery", level=OrgLevel.practice)
    b = Organisation(code="B", name="Beta Surgery", level=OrgLevel.practice)
    c = Organisation(code="C", name="Gamma Surgery", level=OrgLevel.practice)
    s.add_all([a, b, c])
    s.flush()
    apr, may, jun = dt.date(2025, 4, 1), dt.date(2025, 5, 20), dt.date(2025, 6, 30)
    # 14 cases in the quarter: Alpha 6, Beta 5, Gamma 1, not stated 2.
    # patient safety 7, worker safety 4, bullying 2, attitudes 13, detriment 0; anonymous 5.
    _case(s, apr, a, anon=True, elements=("patient_safety", "attitudes", "worker_safety"), n=4)
    _case(s, may, a, anon=False, elements=("patient_safety", "attitudes"), n=2)
    _case(s, may, b, anon=True, elements=("attitudes", "bullying"), n=1)
    _case(s, jun, b, anon=False, elements=("attitudes", "bullying"), n=1)
    _case(s, jun, b, anon=False, elements=("attitudes", "patient_safety"), n=1)
    _case(s, jun, b, anon=False, elements=("attitudes",), n=2)
    _case(s, may, c, anon=False, elements=("attitudes",), n=1)
    _case(s, jun, None, anon=False, elements=("attitudes",), n=1)
    _case(s, apr, None, anon=False, elements=(), n=1)
    # Outside the quarter: not counted (but their feedback may be).
    _case(s, dt.date(2025, 3, 31), a, anon=True, elements=("detriment", "bullying"), feedback="yes", feedback_on=may, n=6)
    _case(s, dt.date(2025, 7, 1), a, anon=True, elements=("detriment",), n=3)
    # Feedback given in the quarter: yes 6, no 1, dont_know 2 (maybe 0); one given in July is not.
    _case(s, dt.date(2025, 1, 5), b, feedback="no", feedback_on=jun)
    _case(s, dt.date(2025, 1, 5), b, feedback="dont_know", feedback_on=apr, n=2)
    _case(s, dt.date(2025, 1, 5), b, feedback="maybe", feedback_on=dt.date(2025, 7, 1))
    s.commit()

    table = quarterly_return(s, parse_quarter("2025Q1"), min_count=3)
    got = {(r.section, r.category): (None if r.count is None or r.count != r.count else int(r.count), r.status)
           for r in table.itertuples()}
    assert got == {
        ("cases", "all"): (14, "ok"),
        ("element", "patient_safety"): (7, "ok"),
        ("element", "worker_safety"): (4, "ok"),
        ("element", "bullying"): (None, "primary"),        # 2
        ("element", "attitudes"): (None, "secondary"),     # 13: its complement, 1, is small
        ("element", "detriment"): (0, "ok"),
        ("anonymous", "yes"): (5, "ok"),
        ("organisation", "A"): (6, "ok"),
        ("organisation", "B"): (5, "ok"),
        ("organisation", "C"): (None, "primary"),          # 1
        ("organisation", "not_stated"): (None, "primary"),  # 2
        ("feedback", "all"): (9, "ok"),
        ("feedback", "yes"): (6, "ok"),
        ("feedback", "no"): (None, "primary"),             # 1
        ("feedback", "maybe"): (0, "ok"),
        ("feedback", "dont_know"): (None, "primary"),      # 2
    }
    csv_text = to_csv(table)
    assert csv_text.splitlines()[0] == "quarter,section,category,label,count,status"
    assert "2025Q1,organisation,C,Gamma Surgery,,primary" in csv_text


def _attacker_bounds(cells, relations, published):
    """Independent check: LP bounds of every unpublished cell given everything published."""
    from scipy.optimize import linprog
    ids = [c.id for c in cells]
    idx = {cid: i for i, cid in enumerate(ids)}
    a_eq, b_eq = [], []
    for total, parts in relations:
        row = np.zeros(len(ids))
        row[idx[total]] = 1
        for p in parts:
            row[idx[p]] -= 1
        a_eq.append(row)
        b_eq.append(0)
    for cid, value in published.items():
        row = np.zeros(len(ids))
        row[idx[cid]] = 1
        a_eq.append(row)
        b_eq.append(value)
    bounds = {}
    for c in cells:
        if c.id in published:
            continue
        obj = np.zeros(len(ids))
        obj[idx[c.id]] = 1
        lo = linprog(obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        bounds[c.id] = (lo.fun, -hi.fun if hi.status == 0 else float("inf"))
    return bounds


@pytest.mark.parametrize("seed", range(12))
def test_no_suppressed_count_can_be_recovered(session, seed):
    """Random small quarters: every suppressed count keeps an interval at least 2 wide."""
    rng = np.random.default_rng(seed)
    s = session
    orgs = [Organisation(code=f"P{i}", name=f"Practice {i}", level=OrgLevel.practice) for i in range(4)]
    s.add_all(orgs)
    s.flush()
    elements = ["patient_safety", "worker_safety", "bullying", "attitudes", "detriment"]
    for _ in range(int(rng.integers(1, 25))):
        org = (orgs + [None])[int(rng.integers(0, 5))]
        els = [e for e in elements if rng.random() < 0.3]
        answer = ["yes", "no", "maybe", "dont_know", None][int(rng.integers(0, 5))]
        _case(s, dt.date(2025, 5, 1), org, anon=bool(rng.random() < 0.3), elements=els,
              feedback=answer, feedback_on=dt.date(2025, 5, 2) if answer else None)
    s.commit()
    q = parse_quarter("2025Q1")
    cells, relations = quarter_cells(s, q)
    table = quarterly_return(s, q, min_count=3)
    published = {f"{r.section}:{r.category}": int(r.count) for r in table.itertuples() if r.status == "ok"}
    for cid, (lo, hi) in _attacker_bounds(cells, relations, published).items():
        cell = next(c for c in cells if c.id == cid)
        # A suppressed count, or a small unpublished complement, is never pinned to one value.
        if cell.published or 1 <= cell.value <= 3:
            assert hi - lo >= 1, (cid, cell.value, lo, hi)
