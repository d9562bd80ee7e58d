"""One GROUP BY per wave: the finest cells, as profile counts for the analysis core.

The query groups the wave's responses by organisation x demographic profile x answer
pattern and counts them:

    SELECT k, a, COUNT(*) FROM (
        SELECT org_id * R + <profile digits> AS k,        -- organisation and profile
               <answer digits>               AS a         -- the answers the indicators read
        FROM responses WHERE wave_id = :wave [AND org_id >= :lo AND org_id < :hi]
        OFFSET 0) AS cells
    GROUP BY k, a

Both are mixed-radix integers, one digit per column (survey.releases.coding says how);
every predicate is then a function of the answer digits, which numpy evaluates once per
distinct pattern, and a profile's per-indicator base and count are one sparse product.
`OFFSET 0` stops SQLite flattening the subquery, which would otherwise evaluate the
expressions again for the grouping.

A big wave (PARTITION_MIN_RESPONSES or more) is split into PARTITIONS ranges of
organisations (balanced by invitations) and each range's GROUP BY runs on its own
connection, in its own thread: sqlite3 and psycopg release the GIL while the database
works, and numpy while it reduces a finished range. The groups include the organisation,
so the ranges' groups are disjoint and their keys, in org order, stay sorted. The
partitions read what the session reads: on PostgreSQL they import the session's snapshot
(pg_export_snapshot), and a session that has written in its transaction (invisible to
other connections) queries alone; SQLite cannot share a snapshot, so the partitions'
responses must add up to the session's own count of the wave, or the session queries
alone (a finished wave's responses no longer change, so in practice they do). An
in-memory SQLite database, or a session with unflushed changes, queries alone too.

Each GROUP BY comes back as one row of three strings, `k,k,...`, `a,a,...` and `n,n,...`
(`group_concat` on SQLite, `string_agg` on PostgreSQL: SQLAlchemy's aggregate_strings),
which numpy parses in C; the aggregates of one query see the rows in the same order. With
profiles almost unique at national scale the GROUP BY returns about one row per response,
and fetching those 700,000 rows as Python tuples measured 0.24 s more than the strings.

The same SQLAlchemy expressions run on SQLite and PostgreSQL; PostgreSQL's partitions set
a few planner settings for their own transactions (PG_PARTITION_SETTINGS).
"""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from survey.analysis import Dimension, Indicator, Predicate
from survey.models import Organisation, Response, WaveOrganisation
from survey.models.responses import DEMOGRAPHIC_COLUMNS
from survey.releases.coding import AggregationError, AnswerCoder, ProfileCoder, indicator_columns_available


PARTITIONS = min(2, os.cpu_count() or 1)   # connections (and threads) for a big wave: 2 cores in production
PARTITION_MIN_RESPONSES = 100_000          # below this, one query in the session is quick enough (~0.2 s)


def _distinct_predicates(indicators: dict[str, Indicator]) -> tuple[list[Predicate], dict[str, tuple[int, int]]]:
    preds: list[Predicate] = []
    where: dict[str, tuple[int, int]] = {}

    def slot(p: Predicate) -> int:
        for i, q in enumerate(preds):
            if q == p:
                return i
        preds.append(p)
        return len(preds) - 1

    for iid, ind in indicators.items():
        # The numerator is validated to be a subset of the base (Indicator loader).
        where[iid] = (slot(ind.base), slot(ind.numerator))
    return preds, where


def _plain_rows(session: Session, query) -> list[tuple]:
    """Plain tuples from the DBAPI cursor (SQLAlchemy Row objects cost more than these
    small queries)."""
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _wave_size(session: Session, wave_id: int) -> int:
    """Responses in the wave (reads the (wave, org) index only)."""
    return session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave_id)) or 0


def _org_weights(session: Session, wave_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(org_id, expected responses) to balance the partitions: the wave's organisations
    weighted by invitations (equally when none are recorded); without any, the responses
    per organisation. Only the balance depends on this, never the result."""
    rows = _plain_rows(session, select(WaveOrganisation.org_id, WaveOrganisation.invited)
                       .where(WaveOrganisation.wave_id == wave_id).order_by(WaveOrganisation.org_id))
    if not rows:
        rows = _plain_rows(session, select(Response.org_id, func.count()).where(Response.wave_id == wave_id)
                           .group_by(Response.org_id).order_by(Response.org_id))
    arr = np.array(rows, dtype=np.int64).reshape(len(rows), 2)
    weights = np.maximum(arr[:, 1], 0)
    return arr[:, 0], weights if weights.sum() > 0 else np.ones(len(arr), dtype=np.int64)


def _use_scan_on_sqlite(session: Session, in_wave: int) -> bool:
    """SQLite: responses are WITHOUT ROWID, so each row found through the (wave, org) index
    costs a second b-tree search; when the wave is much of the table a plain scan is ~15x
    faster. The count reads only the index."""
    total = session.scalar(select(func.count()).select_from(Response)) or 0
    return in_wave * 16 > total


def _org_ranges(org_ids: np.ndarray, counts: np.ndarray, n: int) -> list[tuple[int | None, int | None]]:
    """[lo, hi) ranges of org_id with about equal weights (org_ids sorted); the first and
    the last are open, so together they cover every organisation."""
    if n <= 1 or len(org_ids) < n:
        return [(None, None)]
    cum = np.cumsum(counts)
    cuts = []
    for i in range(1, n):
        j = int(np.searchsorted(cum, cum[-1] * i / n))
        cut = int(org_ids[min(j + 1, len(org_ids) - 1)])
        if (not cuts or cut > cuts[-1]) and cut > int(org_ids[0]):
            cuts.append(cut)
    bounds = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:]))


def _can_partition(session: Session) -> bool:
    """Would other connections read what this session reads?"""
    if session.new or session.dirty or session.deleted:
        return False
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        db = bind.url.database
        return bool(db) and db != ":memory:" and "mode=memory" not in str(bind.url)
    if bind.dialect.name == "postgresql":
        # A transaction that has written has an id; its writes are invisible to others.
        return session.connection().exec_driver_sql("SELECT pg_current_xact_id_if_assigned()").scalar() is None
    return False


def profile_counts(session: Session, wave_id: int, indicators: dict[str, Indicator],
                   dimensions: dict[str, Dimension], asked: set[str] | None = None, *,
                   partitions: int | None = None) -> pd.DataFrame:
    """DataFrame[org_code, <demographic columns>, n, <id>__base, <id>__num] for the wave.

    Indicators whose questions the wave's survey does not ask (`asked`, a set of question
    ids; None = all) are left out, so the analysis core skips them. `partitions`: how many
    connections share the work (default: PARTITIONS for a big wave, else 1); the result is
    the same whatever the number."""
    usable = {i: ind for i, ind in indicators.items() if indicator_columns_available(ind, asked)}
    coder = ProfileCoder.from_dimensions(dimensions)
    preds, slots = _distinct_predicates(usable)
    answers = AnswerCoder.from_predicates(preds)
    in_wave = _wave_size(session, wave_id)
    wave_col = Response.wave_id
    if session.get_bind().dialect.name == "sqlite" and _use_scan_on_sqlite(session, in_wave):
        wave_col = Response.wave_id + 0    # a plain scan, see _use_scan_on_sqlite
    if partitions is None:
        partitions = PARTITIONS if in_wave >= PARTITION_MIN_RESPONSES else 1
    ranges = [(None, None)]
    if partitions > 1 and _can_partition(session):
        ranges = _org_ranges(*_org_weights(session, wave_id), partitions)
    take = [0]                         # the columns of the frame: n, then base and count per indicator
    for b, k in slots.values():
        take += [1 + b, 1 + k]

    def reduce(lists):
        return _reduce(_parse(lists, answers.n_parts + 2), answers, preds, take)

    done = []
    if len(ranges) > 1:
        done = _run_partitions(session, [_cells_query(coder, answers, wave_col, wave_id, lo, hi)
                                         for lo, hi in ranges], reduce)
        if sum(int(d.responses) for d in done) != in_wave:
            done = []   # they read other data than the session (SQLite: its uncommitted writes)
    if not done:        # one query, in the session
        query = _cells_query(coder, answers, wave_col, wave_id, None, None)
        done = [reduce(session.connection().execute(query).one())]
    if len(done) == 1:
        keys, counts, holds = done[0].keys, done[0].counts, done[0].holds
    else:               # ranges in org order: the keys stay sorted
        keys = np.concatenate([d.keys for d in done])
        counts = sparse.block_diag([d.counts for d in done], format="csr")
        holds = np.concatenate([d.holds for d in done])
    # (key x pattern counts) @ (pattern x n, base, count...): the frame's int64 block at once
    sums = np.asarray(counts @ holds, dtype=np.int64).reshape(len(keys), holds.shape[1])
    orgs = dict(_plain_rows(session, select(Organisation.id, Organisation.code)))
    return _frame(keys, sums, coder, slots, orgs)


def _cells_query(coder: ProfileCoder, answers: AnswerCoder, wave_col, wave_id: int, lo: int | None, hi: int | None):
    where = [wave_col == wave_id]
    if lo is not None:
        where.append(Response.org_id >= lo)
    if hi is not None:
        where.append(Response.org_id < hi)
    acols = [e.label(f"a{j}") for j, e in enumerate(answers.sql())]
    inner = (select(coder.sql().label("k"), *acols)
             .where(*where)
             .offset(0)                      # keep the subquery: evaluate each expression once
             .subquery("cells"))
    group = [inner.c.k, *[inner.c[f"a{j}"] for j in range(answers.n_parts)]]
    cells = select(*group, func.count().label("n")).group_by(*group).subquery("grouped")
    # One list per column: the aggregates of one query see the rows in the same order.
    return select(*[func.aggregate_strings(cast(c, String), ",") for c in cells.c])


def _parse(lists, width: int) -> np.ndarray:
    """('k,k,...', 'a,a,...', 'n,n,...') -> int64 array (rows x width), parsed in C."""
    if not lists or lists[0] is None:          # no rows: the aggregates are NULL
        return np.empty((0, width), dtype=np.int64)
    cols = [np.fromstring(text, dtype=np.int64, sep=",") for text in lists]
    if len(cols) != width or any(len(c) != len(cols[0]) for c in cols):
        raise AggregationError("the GROUP BY returned lists of counts of different lengths")
    return np.column_stack(cols)


# PostgreSQL, for each partition's transaction: the partitions are the parallelism (no
# parallel workers on top of them); the GROUP BY sorts in memory (with the default 4 MB
# work_mem the hash aggregate spilled 24 MB to disk in 21 batches) rather than hashing,
# which measured a little quicker for ~one group per row and returns the keys in order, so
# numpy need not sort them again.
PG_PARTITION_SETTINGS = {"max_parallel_workers_per_gather": "0", "work_mem": "256MB", "enable_hashagg": "off"}

_SNAPSHOT_RE = re.compile(r"^[0-9A-F]+-[0-9A-F]+-[0-9]+$")


def _run_partitions(session: Session, queries: list, reduce) -> list:
    """Each query on its own connection, in its own thread, reading the session's data;
    `reduce` runs in the thread too (numpy releases the GIL for most of it)."""
    conn = session.connection()
    engine = conn.engine
    snapshot = None
    if engine.dialect.name == "postgresql":
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        if not _SNAPSHOT_RE.match(snapshot or ""):
            raise AggregationError(f"unexpected snapshot id {snapshot!r}")

    def run(query):
        with engine.connect() as part:
            if snapshot is not None:
                part = part.execution_options(isolation_level="REPEATABLE READ")
                part.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                for name, value in PG_PARTITION_SETTINGS.items():
                    part.exec_driver_sql("SELECT set_config(%(n)s, %(v)s, true)", {"n": name, "v": value})
            try:
                lists = part.execute(query).one()
            finally:
                part.rollback()
            return reduce(lists)

    with ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="profile-counts") as pool:
        return list(pool.map(run, queries))


@dataclass
class _Reduced:
    keys: np.ndarray                   # distinct keys, sorted
    counts: sparse.csr_matrix          # key x answer pattern: responses
    holds: np.ndarray                  # answer pattern x frame column: 1 where it counts
    responses: int


def _reduce(arr: np.ndarray, answers: AnswerCoder, preds: list[Predicate], take: list[int]) -> _Reduced:
    """Grouped rows (k, a..., n) -> the distinct keys and, per key, the responses by answer
    pattern; per pattern, which of [n, preds[0], preds[1], ...][take] it counts towards.

    The predicates are evaluated once per distinct answer pattern (about 100,000 among
    700,000 rows); the frame's sums are then one sparse product, counts @ holds."""
    keys = arr[:, 0]
    if len(keys) and not bool(np.all(keys[1:] >= keys[:-1])):   # sorted by the GROUP BY, as a rule
        arr = arr[np.argsort(keys, kind="stable")]
        keys = arr[:, 0]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    key_of_row = np.cumsum(new) - 1
    uniq = keys[new]
    pattern_of_row, distinct = pd.factorize(arr[:, 1])       # hashing, not sorting
    for j in range(2, arr.shape[1] - 1):                     # answer digits over several integers
        more, more_distinct = pd.factorize(arr[:, j])
        pattern_of_row, distinct = pd.factorize(pattern_of_row * len(more_distinct) + more)
    at = np.zeros(len(distinct), dtype=np.intp)
    at[pattern_of_row] = np.arange(len(arr))                 # a row of each pattern
    patterns = arr[at, 1:-1]
    holds = np.ones((len(patterns), 1 + len(preds)), dtype=np.int64)
    digits: dict = {}
    for i, p in enumerate(preds):
        holds[:, 1 + i] = answers.evaluate(p, patterns, digits)
    n = arr[:, -1]
    counts = sparse.csr_matrix((n, (key_of_row, pattern_of_row)), shape=(len(uniq), len(patterns)), dtype=np.int64)
    return _Reduced(uniq, counts, holds[:, take], int(n.sum()))


def _labels(table: list, index: np.ndarray, out: np.ndarray) -> None:
    """out[:] = table[index]; a missing label (None) is NaN in a column that has labels,
    None in one that has none - what pandas makes of a column of strings with gaps."""
    values = np.array(table, dtype=object)
    missing = np.equal(values, None)
    if missing.any():
        used = np.zeros(len(values), dtype=bool)
        used[index] = True
        if (used & ~missing).any():
            values[missing] = np.nan
    np.take(values, index, out=out)


def _frame(keys: np.ndarray, sums: np.ndarray, coder: ProfileCoder, slots: dict[str, tuple[int, int]],
           orgs: dict[int, str]) -> pd.DataFrame:
    m = len(keys)
    text = np.empty((1 + len(DEMOGRAPHIC_COLUMNS), m), dtype=object)   # one object block, all None
    org_id, rest = np.divmod(keys, coder.org_multiplier)
    org_ids, org_pos = np.unique(org_id, return_inverse=True)
    _labels([orgs.get(int(o)) for o in org_ids], org_pos.reshape(-1), text[0])
    for c in coder.columns:                  # multipliers ascending: peel the digits off
        rest, digit = np.divmod(rest, coder.radix[c])
        _labels([None, *coder.codes[c]], digit, text[1 + DEMOGRAPHIC_COLUMNS.index(c)])
    labels = pd.DataFrame(text.T, columns=["org_code", *DEMOGRAPHIC_COLUMNS], dtype=object, copy=False)
    cols = ["n", *[f"{iid}__{part}" for iid in slots for part in ("base", "num")]]
    counts = pd.DataFrame(sums, columns=cols, copy=False)    # one int64 block
    return pd.concat([labels, counts], axis=1)
