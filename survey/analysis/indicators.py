"""Indicator definitions (shipped `indicators.yaml`), validated on load."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from survey.analysis._yaml import HERE, DefinitionError, need, read_yaml
from survey.analysis.predicates import Predicate, PredicateError

FAMILIES = ("WRES", "WDES", "Other")


@dataclass(frozen=True)
class Indicator:
    id: str
    family: str
    title: str
    numerator: Predicate
    base: Predicate
    comparisons: tuple[tuple[str, str, str], ...] = ()
    benchmark: str | None = None
    same_as: str | None = None

    def columns(self) -> set[str]:
        return self.numerator.columns() | self.base.columns()

    def to_dict(self) -> dict:
        return {"id": self.id, "family": self.family, "title": self.title,
                "numerator": self.numerator.to_dict(), "base": self.base.to_dict(),
                "comparisons": [list(c) for c in self.comparisons],
                "benchmark": self.benchmark, "same_as": self.same_as}


def load_indicators(path: str | Path | None = None, dimensions: dict | None = None) -> dict[str, Indicator]:
    """Load and validate indicators; ordered as in the file.

    Checks: unique ids, a known family, well-formed predicates, the numerator a subset of
    the base, comparisons naming known dimensions and groups, `same_as` pointing at an
    indicator with the identical definition."""
    path = Path(path) if path else HERE / "indicators.yaml"
    file = path.name
    if dimensions is None:
        from survey.analysis.dimensions import load_dimensions
        dimensions = load_dimensions()
    out: dict[str, Indicator] = {}
    for i, item in enumerate(read_yaml(path, "indicators")):
        where = f"indicators[{i}]"
        if not isinstance(item, dict):
            raise DefinitionError(f"{file}: {where}: expected a mapping, got {item!r}")
        iid = need(item, "id", str, where, file)
        where = f"indicators[{i}] ({iid})"
        if iid in out:
            raise DefinitionError(f"{file}: {where}.id: duplicate id {iid!r}")
        family = need(item, "family", str, where, file)
        if family not in FAMILIES:
            raise DefinitionError(f"{file}: {where}.family: expected one of {', '.join(FAMILIES)}, got {family!r}")
        title = need(item, "title", str, where, file)
        try:
            num = Predicate.from_dict(item.get("numerator"), f"{where}.numerator")
            base = Predicate.from_dict(item.get("base"), f"{where}.base")
        except PredicateError as exc:
            raise DefinitionError(f"{file}: {exc}") from None
        if not num.implies(base):
            raise DefinitionError(f"{file}: {where}.numerator: must be a subset of the base "
                                  f"(every code of the numerator also counted in the base)")
        comps = []
        for j, comp in enumerate(item.get("comparisons") or []):
            cw = f"{where}.comparisons[{j}]"
            if not (isinstance(comp, list) and len(comp) == 3 and all(isinstance(x, str) for x in comp)):
                raise DefinitionError(f"{file}: {cw}: expected [dimension, group_a, group_b], got {comp!r}")
            dim = dimensions.get(comp[0])
            if dim is None:
                raise DefinitionError(f"{file}: {cw}: unknown dimension {comp[0]!r}")
            for g in comp[1:]:
                if g not in dim.groups:
                    raise DefinitionError(f"{file}: {cw}: {comp[0]} has no group {g!r}")
            comps.append(tuple(comp))
        bench = need(item, "benchmark", str, where, file, optional=True)
        same = need(item, "same_as", str, where, file, optional=True)
        out[iid] = Indicator(iid, family, title, num, base, tuple(comps), bench, same)
    for iid, ind in out.items():
        if ind.same_as is None:
            continue
        other = out.get(ind.same_as)
        if other is None:
            raise DefinitionError(f"{file}: indicators ({iid}).same_as: unknown indicator {ind.same_as!r}")
        if (other.numerator, other.base) != (ind.numerator, ind.base):
            raise DefinitionError(f"{file}: indicators ({iid}).same_as: {ind.same_as} has a different "
                                  f"numerator or base; same_as needs identical definitions")
    return out


def empty_by_definition(indicator: Indicator, dimension) -> frozenset[str]:
    """The groups of `dimension` nobody can be in for this indicator, because its base
    admits only other codes of the dimension's column (WDES 8 asks Disabled staff only, so
    its Non-disabled and Not stated groups are empty at every organisation). The
    definitions are published, so a reader knows these cells are 0 whatever is shown."""
    if dimension.column is None:
        return frozenset()
    allowed = indicator.base.required_codes(dimension.column)
    if allowed is None:
        return frozenset()
    allowed = {dimension.canonical(c) for c in allowed}
    out = {g for g in dimension.groups[:-1]
           if not allowed & {c for c, label in dimension.mapping.items() if label == g}}
    if allowed <= set(dimension.mapping):      # "Not stated" holds every other code and no answer
        out.add(dimension.groups[-1])
    return frozenset(out)


def canonical_indicator(indicators: dict[str, Indicator]) -> dict[str, str]:
    """Map every indicator id to the first id with the identical definition (numerator and
    base). Declared `same_as` links and undeclared identical definitions are both linked:
    the same numbers must carry the same suppression whatever they are called."""
    first: dict[tuple, str] = {}
    out = {}
    for iid, ind in indicators.items():
        key = (ind.numerator, ind.base)
        out[iid] = first.setdefault(key, iid)
    return out
