"""The demo fills the guardian's desk: cases in several states, one printed key that works."""
import re

from sqlalchemy import func, select

from survey.concerns.cases import find_case_by_key
from survey.demo_cases import CASES
from survey.extensions import access_key_hasher, ratelimiter
from survey.models import Concern, ConcernStatus


def test_demo_cases_are_made_once_and_the_printed_key_finds_its_case(app, runner, db, forbid_in_logs):
    out = runner.invoke(args=["demo"]).output
    match = re.search(r"reference (\S+)\s+access key (\S+)", out)
    assert match, out
    reference, key = match.groups()
    forbid_in_logs(key)
    statuses = {c.status for c in db.scalars(select(Concern))}
    assert {ConcernStatus.new, ConcernStatus.waiting, ConcernStatus.closed} <= statuses
    found = find_case_by_key(db, access_key_hasher(), ratelimiter(), reference, key, "test-client",
                             app.config["RATELIMIT_FOLLOWUP"], app.config["RATELIMIT_FOLLOWUP_CLIENT"])
    assert found.reference == reference and found.status is ConcernStatus.waiting
    closed = db.scalars(select(Concern).where(Concern.status == ConcernStatus.closed)).all()
    assert closed and all(c.feedback_answer == "yes" for c in closed)
    again = runner.invoke(args=["demo"]).output
    assert "access key" not in again
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Concern)) == len(CASES)
