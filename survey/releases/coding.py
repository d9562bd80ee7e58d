"""The wave's GROUP BY keys as SQL (survey.releases.aggregate runs the query).

The query's two keys, k (organisation and demographic profile) and a (the answers the
indicators read), are mixed-radix integers, one digit per column, each a simple CASE
(`CASE col WHEN v1 THEN 1*m WHEN v2 THEN 2*m ... ELSE 0 END`). The answer pattern has a
digit for every column that a predicate of the indicators reads (every base and every
numerator, from its `Predicate.to_dict()` tree): which of the values the predicates name
the answer is, 0 for any other value and for no answer. Every predicate is then a function
of the digits, which numpy evaluates once per distinct pattern; a profile's per-indicator
base and count are the sums of COUNT(*) over its rows whose pattern satisfies it, one
sparse product (profile x pattern counts) @ (pattern x predicate 0/1) for all of them. The
result is exactly `SUM(CASE WHEN <predicate> THEN 1 ELSE 0 END)` per indicator and profile,
but much faster. Measured on SQLite with 700,000 responses: thirty SUM columns took 8.0 s;
one bit per predicate (`CASE WHEN <predicate> THEN 2^i ELSE 0 END`, 26 of them) 0.84 s of
expression work; the answer digits (14 columns) 0.37 s.

Demographic codes become small integers the same way, over the codes that the dimensions
(survey.analysis.load_dimensions) distinguish, so "1" and "01" meet; any other value
(prefer not to say, no answer, an unknown code) becomes "not stated", which is what the
dimensions make of it anyway. Columns that no dimension uses are not grouped by. The CASEs
list the codes as written first (how answers are stored), so most rows stop at their
first match.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import BigInteger, and_, case, cast, literal_column, or_

from survey.analysis import Dimension, Indicator, Predicate
from survey.models import Response
from survey.models.responses import BANK_COLUMNS, DEMOGRAPHIC_COLUMNS

PACK_LIMIT = 2**62                  # answer digits per integer: signed 64-bit, with room


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


# --- mixed-radix digits ------------------------------------------------------------------

def _digit_case(col, forms: list, multiplier: int, *, bigint: bool = False):
    """`CASE col WHEN forms[0] THEN 1*m WHEN forms[1] THEN 2*m ... ELSE 0 END` (digit i+1 for
    forms[i]). Simple CASE compares with `=`, like IN, so NULL and any other value give 0.
    `bigint` types the ELSE as BIGINT, so that PostgreSQL adds the digits in 64 bits."""
    whens = [(f if isinstance(f, str) else literal_column(str(int(f))), literal_column(str((i + 1) * multiplier), BigInteger))
             for i, f in enumerate(forms)]
    zero = cast(literal_column("0"), BigInteger) if bigint else literal_column("0", BigInteger)
    return case(*whens, value=col, else_=zero)


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
            # Every stored form of a code gives the code's digit; a form that two codes share
            # belongs to the first code. The codes as written come first: they are how answers
            # are stored, so most rows stop at their first match.
            digit: dict[str, int] = {}
            for i, code in enumerate(self.codes[c]):
                for f in _code_variants(c, [code]):
                    digit.setdefault(f, i + 1)
            forms = [f for f in digit if f in self.codes[c]] + [f for f in digit if f not in self.codes[c]]
            whens = [(f, literal_column(str(digit[f] * self.multiplier[c]), BigInteger)) for f in forms]
            key = key + case(*whens, value=getattr(Response, c), else_=literal_column("0", BigInteger))
        return key


@dataclass
class AnswerCoder:
    """Mixed-radix integers for the answers the predicates read: per column, digit i+1 =
    forms[column][i] (a stored value some predicate names), 0 = anything else or no answer.
    Columns fill one integer after another, each below PACK_LIMIT."""
    columns: list[str]
    forms: dict[str, list]             # column -> stored values told apart
    radix: dict[str, int]
    multiplier: dict[str, int]
    part: dict[str, int]               # column -> which integer holds its digit
    n_parts: int

    @classmethod
    def from_predicates(cls, preds: list[Predicate]) -> "AnswerCoder":
        written: dict[str, list] = {}
        variants: dict[str, list] = {}
        for p in preds:
            predicate_sql(p)           # the same checks and errors as the SQL translation
            for name, values, forms_ in _leaves(p.to_dict()):
                for v in values:
                    if v not in written.setdefault(name, []):
                        written[name].append(v)
                for f in forms_:
                    if f not in variants.setdefault(name, []):
                        variants[name].append(f)
        # Values as the predicates write them first (how answers are stored), then the other
        # stored forms of demographic codes ("01" for "1").
        forms = {c: written[c] + [f for f in variants[c] if f not in written[c]] for c in written}
        columns = [c for c in (*BANK_COLUMNS, *DEMOGRAPHIC_COLUMNS) if c in forms]
        radix, mult, part, j, m = {}, {}, {}, 0, 1
        for c in columns:
            radix[c] = len(forms[c]) + 1
            if m * radix[c] > PACK_LIMIT:
                j, m = j + 1, 1
            mult[c], part[c] = m, j
            m *= radix[c]
        return cls(columns, forms, radix, mult, part, j + 1 if columns else 1)

    def sql(self) -> list:
        exprs = []
        for j in range(self.n_parts):
            cols = [c for c in self.columns if self.part[c] == j]
            if not cols:
                exprs.append(cast(literal_column("0"), BigInteger))
                continue
            expr = _digit_case(getattr(Response, cols[0]), self.forms[cols[0]], self.multiplier[cols[0]], bigint=True)
            for c in cols[1:]:
                expr = expr + _digit_case(getattr(Response, c), self.forms[c], self.multiplier[c])
            exprs.append(expr)
        return exprs

    def evaluate(self, pred: Predicate, parts: np.ndarray, digits: dict) -> np.ndarray:
        """Boolean per row of `parts` (rows x n_parts): does the predicate hold?"""
        return self._eval(pred.to_dict(), parts, digits)

    def _eval(self, tree: dict, parts: np.ndarray, digits: dict) -> np.ndarray:
        if "column" in tree:
            name = tree["column"]
            if name not in digits:
                d = parts[:, self.part[name]]
                digits[name] = ((d // self.multiplier[name]) % self.radix[name]).astype(np.intp)
            lut = np.zeros(self.radix[name], dtype=bool)
            for v in _leaf_forms(tree):
                lut[self.forms[name].index(v) + 1] = True
            return lut[digits[name]]
        kids = [self._eval(c, parts, digits) for c in tree.get("any", tree.get("all", []))]
        if not kids:
            raise AggregationError(f"predicate: unknown node {tree!r}")
        out = kids[0].copy()
        for k in kids[1:]:
            if "any" in tree:
                out |= k
            else:
                out &= k
        return out


def _leaf_forms(tree: dict) -> list:
    """The stored values a leaf {column, in} matches, as predicate_sql matches them."""
    name, values = tree["column"], tree["in"]
    if name in DEMOGRAPHIC_COLUMNS:
        return _code_variants(name, [str(v) for v in values])
    return [int(v) for v in values]


def _leaves(tree: dict):
    """(column, values as written, stored forms matched) for every leaf of a predicate."""
    if "column" in tree:
        name = tree["column"]
        written = [str(v) for v in tree["in"]] if name in DEMOGRAPHIC_COLUMNS else [int(v) for v in tree["in"]]
        yield name, written, _leaf_forms(tree)
        return
    for child in tree.get("any", tree.get("all", [])):
        yield from _leaves(child)
