"""Nightly maintenance: wipe the physical traces that could line a response up with the
invitation that admitted it (the README's privacy promise 1). No Flask: takes an engine.

On PostgreSQL a submit is one transaction: the invitation's UPDATE, the draft's DELETE and
the response's and comments' INSERTs all carry the same transaction id (xmin of the new
rows, xmax of the dead ones), and new row versions land in the heap in arrival order. With
the raw database, someone holding a list of who got which link could match
invitations.xmin = responses.xmin (or comments.xmin, linking a comment to a demographic
profile), or rank both tables by physical position. This routine, in ONE transaction,
rewrites every used invitation, every response and every comment, so that they all carry
the same new xmin; then CLUSTERs each table (and drafts) on its random or keyed-hash primary
key, which rewrites the heap in an order that says nothing about arrival and drops the
dead row versions. What it cannot reach: WAL archives and backups taken before it ran,
so run it nightly, before the backup (docs/deploy.md).

On SQLite responses, comments, invitations and drafts are WITHOUT ROWID tables ordered by
random ids or hashes and there is no transaction id in a row; VACUUM rebuilds the file so
free pages keep no old row images.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

# table -> primary key index (the naming convention in survey/db.py)
CLUSTERED = {"invitations": "pk_invitations", "responses": "pk_responses", "comments": "pk_comments",
             "drafts": "pk_drafts"}


@dataclass
class MaintenanceResult:
    backend: str
    rewritten: dict[str, int] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


def scrub_physical_order(engine: Engine) -> MaintenanceResult:
    if engine.dialect.name == "postgresql":
        return _postgresql(engine)
    return _sqlite(engine)


def _postgresql(engine: Engine) -> MaintenanceResult:
    result = MaintenanceResult("postgresql")
    with engine.begin() as conn:
        # One transaction: every row below gets this transaction's id as its xmin.
        result.rewritten["invitations"] = conn.execute(text("UPDATE invitations SET is_used = is_used WHERE is_used")).rowcount
        result.rewritten["responses"] = conn.execute(text("UPDATE responses SET wave_id = wave_id")).rowcount
        result.rewritten["comments"] = conn.execute(text("UPDATE comments SET wave_id = wave_id")).rowcount
    result.steps.append("rewrote used invitations, responses and comments in one transaction")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table, index in CLUSTERED.items():
            conn.execute(text(f"CLUSTER {table} USING {index}"))
            conn.execute(text(f"ANALYZE {table}"))
    result.steps.append("clustered " + ", ".join(CLUSTERED) + " on their primary keys (dead row versions dropped)")
    return result


def _sqlite(engine: Engine) -> MaintenanceResult:
    result = MaintenanceResult("sqlite")
    # Straight on the driver's connection (in autocommit mode, see survey/db.py): VACUUM
    # cannot run inside the transaction SQLAlchemy would begin.
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM")
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    result.steps.append("checkpointed the write-ahead log and rebuilt the database file (VACUUM)")
    return result
