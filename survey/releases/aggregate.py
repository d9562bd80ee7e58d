"""One GROUP BY query per wave: the finest cells, as profile counts for the analysis core.

The query groups the wave's responses by organisation x demographic profile x answer
pattern and counts them:

    SELECT k, f, COUNT(*) FROM (
        SELECT org_id * R + <profile digits> AS k,              -- organisation and profile
               CASE WHEN <predicate 1> THEN 1 ELSE 0 END
             + CASE WHEN <predicate 2> THEN 2 ELSE 0 END + ...  AS f   -- answer pattern
        FROM responses WHERE wave_id = :wave OFFSET 0) AS cells
    GROUP BY k, f

Each distinct predicate of the indicators (every base and every numerator, translated
from its `Predicate.to_dict()` tree into SQL) is one bit of `f`; a profile's per-indicator
base and count are then the sums of COUNT(*) over the rows whose bit is set, which numpy
does on counts, never on response rows. The result is exactly
`SUM(CASE WHEN <predicate> THEN 1 ELSE 0 END)` per indicator and profile, but much
faster: measured on SQLite with 700,000 responses, thirty SUM columns took 8.0 s where the
bit pattern takes 1.8 s (SQLite carries every summed column through its sorter and
Python builds an object per returned value). `OFFSET 0` stops SQLite flattening the
subquery, which would otherwise evaluate the expressions again for the grouping.

Demographic codes become small integers with a CASE over the codes that the dimensions
(survey.analysis.load_dimensions) distinguish, so "1" and "01" meet; any other value
(prefer not to say, no answer, an unknown code) becomes "not stated", which is what the
dimensions make of it anyway. Columns that no dimension uses are not grouped by.

The same SQLAlchemy expression runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from survey.analysis import Dimension, Indicator, Predicate
from survey.models import Organisation, Response
from survey.models.responses import BANK_COLUMNS, DEMOGRAPHIC_COLUMNS

FLAG_BITS = 62   # bits per flag column (signed 64-bit integers)


class AggregationError(ValueError):
    pass


# --- predicates -> SQL ---------------------------------------------------------------------

def _code_variants(column: str, values: list) -> list:
    """Codes as stored may carry or lack leading zeros ("1" / "01"): match both."""
    if not values or not isinstance(values[0], str):
        return list(values)
    out: list[str] = []
    for v in values:
        forms = [v]
        if v.isdigit():
            forms += [v.lstrip("0") or "0", v.zfill(2)]
        for f in forms:
            if f not in out:
                out.append(f)
    return out


def predicate_sql(pred: Predicate | dict):
    """A SQLAlchemy boolean expression over `responses` for a predicate tree.

    A missing answer (NULL) never matches: `NULL IN (...)` is not true, and no predicate
    uses NOT, so NULL never turns into a match through a combination."""
    tree = pred.to_dict() if isinstance(pred, Predicate) else pred
    if "column" in tree:
        name = tree["column"]
        if name not in BANK_COLUMNS and name not in DEMOGRAPHIC_COLUMNS:
            raise AggregationError(f"predicate column {name!r} is not a single-choice answer column of responses")
        values = tree["in"]
        col = getattr(Response, name)
        if name in BANK_COLUMNS and not all(isinstance(v, int) for v in values):
            raise AggregationError(f"predicate on {name}: bank question codes are integers, got {values!r}")
        if name in DEMOGRAPHIC_COLUMNS:
            values = _code_variants(name, [str(v) for v in values])
        return col.in_(values)
    if "any" in tree:
        return or_(*[predicate_sql(c) for c in tree["any"]])
    if "all" in tree:
        return and_(*[predicate_sql(c) for c in tree["all"]])
    raise AggregationError(f"predicate: unknown node {tree!r}")


def indicator_columns_available(indicator: Indicator, asked: set[str] | None) -> bool:
    """Does the wave's survey ask every question this indicator needs?"""
    cols = indicator.columns()
    if not all(c in BANK_COLUMNS or c in DEMOGRAPHIC_COLUMNS for c in cols):
        return False
    return asked is None or cols <= asked


# --- the profile key ---------------------------------------------------------------------

@dataclass
class ProfileCoder:
    """Mixed-radix integer for (organisation, profile): digit 0 = not stated."""
    columns: list[str]
    codes: dict[str, list[str]]        # column -> canonical codes, digit i+1 = codes[i]
    radix: dict[str, int]
    multiplier: dict[str, int]
    org_multiplier: int

    @classmethod
    def from_dimensions(cls, dimensions: dict[str, Dimension]) -> "ProfileCoder":
        codes: dict[str, list[str]] = {}
        for dim in dimensions.values():
            if dim.column is None:
                continue
            seen = codes.setdefault(dim.column, [])
            for code in dim.mapping:
                if code not in seen:
                    seen.append(code)
        columns = [c for c in DEMOGRAPHIC_COLUMNS if c in codes]
        radix, mult, m = {}, {}, 1
        for c in columns:
            codes[c] = sorted(codes[c])
            radix[c] = len(codes[c]) + 1
            mult[c] = m
            m *= radix[c]
        if m > 2**40:
            raise AggregationError("too many demographic codes to pack one profile into an integer")
        return cls(columns, codes, radix, mult, m)

    def sql(self):
        key = cast(Response.org_id, BigInteger) * literal_column(str(self.org_multiplier), BigInteger)
        for c in self.columns:
            col = getattr(Response, c)
            whens = []
            for i, code in enumerate(self.codes[c]):
                whens.append((col.in_(_code_variants(c, [code])), literal_column(str((i + 1) * self.multiplier[c]), BigInteger)))
            key = key + case(*whens, else_=literal_column("0", BigInteger))
        return key

    def decode(self, keys: np.ndarray) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"org_id": keys // self.org_multiplier}
        rest = keys % self.org_multiplier
        for c in self.columns:
            digit = (rest // self.multiplier[c]) % self.radix[c]
            table = np.array([None] + self.codes[c], dtype=object)
            out[c] = table[digit]
        return out


# --- the query ---------------------------------------------------------------------------

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


def _use_scan_on_sqlite(session: Session, wave_id: int) -> bool:
    """SQLite: responses are WITHOUT ROWID, so each row found through the (wave, org) index
    costs a second b-tree search; when the wave is much of the table a plain scan is ~15x
    faster. Both counts read only the index."""
    in_wave = session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave_id)) or 0
    total = session.scalar(select(func.count()).select_from(Response)) or 0
    return in_wave * 16 > total


def profile_counts(session: Session, wave_id: int, indicators: dict[str, Indicator],
                   dimensions: dict[str, Dimension], asked: set[str] | None = None) -> pd.DataFrame:
    """DataFrame[org_code, <demographic columns>, n, <id>__base, <id>__num] for the wave.

    Indicators whose questions the wave's survey does not ask (`asked`, a set of question
    ids; None = all) are left out, so the analysis core skips them."""
    usable = {i: ind for i, ind in indicators.items() if indicator_columns_available(ind, asked)}
    coder = ProfileCoder.from_dimensions(dimensions)
    preds, slots = _distinct_predicates(usable)
    n_flags = max(1, -(-len(preds) // FLAG_BITS))
    flag_exprs = []
    for j in range(n_flags):
        terms = [case((predicate_sql(p), literal_column(str(1 << (i - j * FLAG_BITS)), BigInteger)),
                      else_=literal_column("0", BigInteger))
                 for i, p in enumerate(preds) if j * FLAG_BITS <= i < (j + 1) * FLAG_BITS]
        expr = terms[0] if terms else literal_column("0", BigInteger)
        for t in terms[1:]:
            expr = expr + t
        flag_exprs.append(expr.label(f"f{j}"))

    wave_col = Response.wave_id
    if session.get_bind().dialect.name == "sqlite" and _use_scan_on_sqlite(session, wave_id):
        wave_col = Response.wave_id + 0    # a plain scan, see _use_scan_on_sqlite
    inner = (select(coder.sql().label("k"), *flag_exprs)
             .where(wave_col == wave_id)
             .offset(0)                      # keep the subquery: evaluate each expression once
             .subquery("cells"))
    fcols = [inner.c[f"f{j}"] for j in range(n_flags)]
    query = select(inner.c.k, *fcols, func.count().label("n")).group_by(inner.c.k, *fcols)
    rows = _fetch_plain(session, query)
    orgs = dict(session.execute(select(Organisation.id, Organisation.code)).all())
    return _expand(rows, n_flags, coder, preds, slots, orgs)


def _fetch_plain(session: Session, query) -> list[tuple]:
    """Fetch from the DBAPI cursor: plain tuples of integers. Building SQLAlchemy Row
    objects (and numpy reading them back through the sequence protocol) cost ten times
    the query itself on 700,000 rows."""
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _expand(rows, n_flags, coder: ProfileCoder, preds, slots, orgs: dict[int, str]) -> pd.DataFrame:
    arr = np.array(rows, dtype=np.int64).reshape(len(rows), n_flags + 2)
    keys, n = arr[:, 0], arr[:, -1]
    uniq, inv = np.unique(keys, return_inverse=True)
    sums = {}
    for i in range(len(preds)):
        j, bit = divmod(i, FLAG_BITS)
        hit = ((arr[:, 1 + j] >> bit) & 1).astype(bool)
        sums[i] = np.bincount(inv, weights=np.where(hit, n, 0), minlength=len(uniq)).astype(np.int64)
    decoded = coder.decode(uniq)
    org_codes = np.array([orgs.get(int(o)) for o in np.unique(decoded["org_id"])], dtype=object)
    _, org_pos = np.unique(decoded["org_id"], return_inverse=True)
    data: dict[str, object] = {"org_code": org_codes[org_pos] if len(uniq) else np.array([], dtype=object)}
    for c in DEMOGRAPHIC_COLUMNS:
        data[c] = decoded[c] if c in decoded else np.full(len(uniq), None, dtype=object)
    data["n"] = np.bincount(inv, weights=n, minlength=len(uniq)).astype(np.int64)
    for iid, (b, k) in slots.items():
        data[f"{iid}__base"] = sums[b]
        data[f"{iid}__num"] = sums[k]
    df = pd.DataFrame(data)
    for c in ["org_code", *DEMOGRAPHIC_COLUMNS]:
        df[c] = df[c].astype(object)
    return df
