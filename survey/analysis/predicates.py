"""Predicates over response columns, declared as data.

A predicate is a tree: ``{"column": "q14a", "in": [2, 3, 4, 5]}`` (a leaf), ``{"any": [...]}``
or ``{"all": [...]}``. Bank questions use integer codes; demographic columns use string codes
("01", "1"). The same tree evaluates on a DataFrame here and is translated into a SQL CASE
expression by the database layer (`to_dict()` gives the plain form to translate).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class PredicateError(ValueError):
    """A predicate tree is malformed; the message names the path inside the document."""


@dataclass(frozen=True)
class Predicate:
    op: str                                  # "in", "any" or "all"
    column: str | None = None                # for "in"
    values: tuple = ()                       # for "in": the codes
    children: tuple["Predicate", ...] = ()   # for "any"/"all"

    # --- construction ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, path: str = "predicate") -> "Predicate":
        if not isinstance(data, dict):
            raise PredicateError(f"{path}: expected a mapping with 'column'+'in', 'any' or 'all', got {type(data).__name__}")
        keys = set(data)
        if keys == {"column", "in"}:
            column, values = data["column"], data["in"]
            if not isinstance(column, str) or not column:
                raise PredicateError(f"{path}.column: expected a column name, got {column!r}")
            if not isinstance(values, list) or not values:
                raise PredicateError(f"{path}.in: expected a non-empty list of codes, got {values!r}")
            kinds = {type(v) for v in values}
            if not (kinds <= {int} or kinds <= {str}) or bool in kinds:
                raise PredicateError(f"{path}.in: codes must be all integers or all strings, got {values!r}")
            return cls("in", column=column, values=tuple(values))
        for op in ("any", "all"):
            if keys == {op}:
                items = data[op]
                if not isinstance(items, list) or not items:
                    raise PredicateError(f"{path}.{op}: expected a non-empty list of predicates")
                return cls(op, children=tuple(cls.from_dict(x, f"{path}.{op}[{i}]") for i, x in enumerate(items)))
        raise PredicateError(f"{path}: expected exactly one of {{column, in}}, {{any}}, {{all}}; got keys {sorted(keys)}")

    def to_dict(self) -> dict:
        if self.op == "in":
            return {"column": self.column, "in": list(self.values)}
        return {self.op: [c.to_dict() for c in self.children]}

    # --- use -----------------------------------------------------------------------------
    def columns(self) -> set[str]:
        if self.op == "in":
            return {self.column}
        out: set[str] = set()
        for c in self.children:
            out |= c.columns()
        return out

    def leaves(self) -> list["Predicate"]:
        if self.op == "in":
            return [self]
        return [leaf for c in self.children for leaf in c.leaves()]

    def required_codes(self, column: str) -> frozenset | None:
        """The codes of `column` every matching row must have, or None if the predicate
        does not restrict the column (sound: a row outside the set never matches)."""
        if self.op == "in":
            return frozenset(self.values) if self.column == column else None
        parts = [c.required_codes(column) for c in self.children]
        if self.op == "all":
            known = [q for q in parts if q is not None]
            return frozenset.intersection(*known) if known else None
        return None if any(q is None for q in parts) else frozenset().union(*parts)

    def evaluate(self, df: pd.DataFrame) -> pd.Series:
        """A boolean Series aligned with df; a missing answer never matches."""
        return pd.Series(self._eval(df), index=df.index, dtype=bool)

    def _eval(self, df: pd.DataFrame) -> np.ndarray:
        if self.op == "in":
            col = df[self.column]
            if isinstance(self.values[0], str):
                col = col.astype("object")
            return col.isin(list(self.values)).to_numpy(dtype=bool)
        parts = [c._eval(df) for c in self.children]
        return np.logical_or.reduce(parts) if self.op == "any" else np.logical_and.reduce(parts)

    def implies(self, other: "Predicate") -> bool:
        """A sound (not complete) check that every row matching self matches other.

        Used to validate that an indicator's numerator is a subset of its base."""
        if other.op == "all":
            return all(self.implies(c) for c in other.children)
        if self.op == "any":
            return all(c.implies(other) for c in self.children)
        if self.op == "all":
            if any(c.implies(other) for c in self.children):
                return True
            return other.op == "any" and any(self.implies(c) for c in other.children)
        if other.op == "in":
            return other.column == self.column and set(self.values) <= set(other.values)
        return any(self.implies(c) for c in other.children)
