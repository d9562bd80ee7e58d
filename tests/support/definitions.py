"""What any reader learns from the shipped definitions, worked out apart from the engine.

The release's definitions (`dimensions.yaml`, `indicators.yaml`) are shipped with the product,
so an outsider reads them too. This module reads the YAML itself (not through survey.analysis)
and derives every relation between published numbers that follows from them:

- Characteristics split an answer column's codes into groups. The codes no group of any
  characteristic tells apart form an *atom*; a group is a set of atoms. Two groups with the
  same atoms (White in both ethnicity tables) are the same number; a group whose atoms are
  those of several others (BME = Mixed + Asian + Black + Other) is their sum.
- An indicator's base and numerator are sets of respondents, given by predicates over answer
  columns. Enumerating the codes each predicate names, it finds which set lies inside which
  (a numerator in its base; WDES 8's base in the Disabled group), which is the union of two
  others (WRES 6's base is WDES 4(ii)'s or WDES 4(iii)'s), which are disjoint, and which atoms
  a set can have nobody in.
- Everyone counted anywhere answered the survey: the set ``ANSWERED`` contains every other.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parents[2] / "survey" / "analysis"
ANSWERED = "answered"
NOT_STATED = "Not stated"
OTHER = ("other",)          # a code no predicate names
MISSING = None              # no answer


def _norm(code) -> str:
    text = str(code).strip()
    return text.lstrip("0") or "0" if text.isdigit() else text


@dataclass
class Characteristic:
    id: str
    column: str | None                  # None: the whole group ("all")
    groups: dict[str, frozenset]        # label -> atoms (ints) of its column; Not stated included


@dataclass
class Definitions:
    characteristics: dict[str, Characteristic]
    atoms: dict[str, list]              # column -> per atom, the set of codes (normalised) or "rest"
    canon: dict[str, str]               # indicator id -> canonical id (same base and numerator)
    sets: list[str]                     # ANSWERED, then per canonical id "<id>:base", "<id>:num",
                                        # "<id>:comp" (the base less the numerator)
    subset: list[tuple[str, str]]       # (a, b): a lies inside b
    union: list[tuple[str, str, str]]   # (a, b, c): a lies inside b or c (neither alone)
    disjoint: list[tuple[str, str, str]]  # (a, b, w): a and b share nobody, both inside w
    empty: set[tuple[str, str, int]] = field(default_factory=set)  # (set, column, atom): nobody

    def group_atoms(self, dim: str, group: str) -> tuple[str | None, frozenset]:
        ch = self.characteristics[dim]
        return ch.column, ch.groups[group]


def _predicate(node, row: dict) -> bool:
    if "column" in node:
        v = row.get(node["column"], MISSING)
        return v is not MISSING and v != OTHER and v in {_norm(c) for c in node["in"]}
    if "not" in node:
        return not _predicate(node["not"], row)
    if "any" in node:
        return any(_predicate(c, row) for c in node["any"])
    return all(_predicate(c, row) for c in node["all"])


def _compile(node):
    """_predicate as a closure, its code sets normalised once."""
    if "column" in node:
        col, codes = node["column"], frozenset(_norm(c) for c in node["in"])
        return lambda row: (v := row.get(col, MISSING)) is not MISSING and v != OTHER and v in codes
    if "not" in node:
        inner = _compile(node["not"])
        return lambda row: not inner(row)
    parts = [_compile(c) for c in _children(node)]
    if "any" in node:
        return lambda row: any(f(row) for f in parts)
    return lambda row: all(f(row) for f in parts)


def _children(node) -> list:
    return [node["not"]] if "not" in node else node.get("any", node.get("all", []))


def _columns(node) -> set[str]:
    if "column" in node:
        return {node["column"]}
    return set().union(*(_columns(c) for c in _children(node)))


def _codes(node, out: dict):
    if "column" in node:
        out.setdefault(node["column"], set()).update(_norm(c) for c in node["in"])
    for c in _children(node):
        _codes(c, out)


def load(dimensions_path=None, indicators_path=None) -> Definitions:
    dims_raw = yaml.safe_load(Path(dimensions_path or HERE / "dimensions.yaml").read_text())["dimensions"]
    inds_raw = yaml.safe_load(Path(indicators_path or HERE / "indicators.yaml").read_text())["indicators"]

    # atoms: per column, the codes no group of any characteristic tells apart
    named: dict[str, list[tuple[str, str, set]]] = {}
    for d in dims_raw:
        if d.get("column"):
            for g in d.get("groups") or []:
                named.setdefault(d["column"], []).append((d["id"], g["label"], {_norm(c) for c in g["codes"]}))
    atoms: dict[str, list] = {}
    atom_of: dict[str, dict] = {}
    for col, groups in named.items():
        codes = sorted(set().union(*(c for _, _, c in groups)))
        sig = {c: tuple(sorted((d, lab) for d, lab, cs in groups if c in cs)) for c in codes}
        distinct = sorted(set(sig.values()))
        atoms[col] = [{c for c in codes if sig[c] == s} for s in distinct] + ["rest"]
        atom_of[col] = {c: distinct.index(sig[c]) for c in codes}
    chars: dict[str, Characteristic] = {}
    for d in dims_raw:
        col = d.get("column")
        if not col:
            chars[d["id"]] = Characteristic(d["id"], None, {"All": frozenset()})
            continue
        groups = {}
        for g in d.get("groups") or []:
            groups[g["label"]] = frozenset(atom_of[col][_norm(c)] for c in g["codes"])
        taken = frozenset().union(*groups.values())
        groups[NOT_STATED] = frozenset(range(len(atoms[col]))) - taken
        chars[d["id"]] = Characteristic(d["id"], col, groups)

    # indicators with the same base and numerator are the same numbers
    canon, key_of = {}, {}
    for ind in inds_raw:
        key = (yaml.safe_dump(ind["base"], sort_keys=True), yaml.safe_dump(ind["numerator"], sort_keys=True))
        canon[ind["id"]] = key_of.setdefault(key, ind["id"])
    preds = {ANSWERED: None}
    for ind in inds_raw:
        if canon[ind["id"]] == ind["id"]:
            preds[f"{ind['id']}:base"] = ind["base"]
            preds[f"{ind['id']}:num"] = {"all": [ind["base"], ind["numerator"]]}
            preds[f"{ind['id']}:comp"] = {"all": [ind["base"], {"not": ind["numerator"]}]}
    sets = list(preds)

    # each column's codes as the predicates and characteristics see them
    mentioned: dict[str, set] = {}
    for p in preds.values():
        if p is not None:
            _codes(p, mentioned)

    def domain(col):
        values = [MISSING, OTHER] + sorted(mentioned.get(col, set()))
        return values

    compiled = {n: (None if p is None else _compile(p)) for n, p in preds.items()}
    cache: dict = {}

    def truth(names, cols):
        """Per set, whether each point of the columns' joint domain lies in it."""
        cols = tuple(sorted(cols))
        missing = [n for n in names if (n, cols) not in cache]
        if missing:
            points = [dict(zip(cols, combo)) for combo in itertools.product(*(domain(c) for c in cols))]
            for n in missing:
                f = compiled[n]
                cache[(n, cols)] = np.array([True if f is None else f(pt) for pt in points])
        return {n: cache[(n, cols)] for n in names}

    subset, union, disjoint = [], [], []
    cols_of = {n: (set() if p is None else _columns(p)) for n, p in preds.items()}
    for a, b in itertools.permutations(sets, 2):
        t = truth([a, b], cols_of[a] | cols_of[b])
        if t[a].any() and not (t[a] & ~t[b]).any():
            subset.append((a, b))
    inside = {(a, b) for a, b in subset}
    for a in sets:
        for b, c in itertools.combinations(sets, 2):
            if a in (b, c) or (a, b) in inside or (a, c) in inside:
                continue
            t = truth([a, b, c], cols_of[a] | cols_of[b] | cols_of[c])
            if t[a].any() and not (t[a] & ~(t[b] | t[c])).any():
                union.append((a, b, c))
    for a, b in itertools.combinations(sets, 2):
        t = truth([a, b], cols_of[a] | cols_of[b])
        if t[a].any() and t[b].any() and not (t[a] & t[b]).any():
            for w in sets:
                if w not in (a, b) and (a, w) in inside and (b, w) in inside:
                    disjoint.append((a, b, w))
    # atoms of a characteristic column that a set can have nobody in
    empty = set()
    for n, p in preds.items():
        if p is None:
            continue
        for col in cols_of[n] & set(atoms):
            for k, codes in enumerate(atoms[col]):
                values = [MISSING, OTHER] + sorted(mentioned.get(col, set())) if codes == "rest" else sorted(codes)
                if codes == "rest":
                    values = [v for v in values if v is MISSING or v == OTHER or v not in atom_of[col]]
                ok = False
                others = sorted(cols_of[n] - {col})
                for v in values:
                    for combo in itertools.product(*(domain(c) for c in others)):
                        if _predicate(p, {col: v, **dict(zip(others, combo))}):
                            ok = True
                            break
                    if ok:
                        break
                if not ok:
                    empty.add((n, col, k))
    return Definitions(chars, atoms, canon, sets, subset, union, disjoint, empty)


@functools.lru_cache(maxsize=1)
def shipped() -> Definitions:
    """The shipped definitions' relations, worked out once per test session (they take a
    while: every pair and triple of sets over their columns' joint codes)."""
    return load()
