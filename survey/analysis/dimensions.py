"""Characteristics (shipped `dimensions.yaml`): how demographic codes map to groups."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from survey.analysis._yaml import HERE, DefinitionError, need, read_yaml

NOT_STATED = "Not stated"
ALL = "All"
DEMOGRAPHIC_COLUMNS = ("sex", "gender_identity", "age_band", "ethnicity", "sexual_orientation",
                       "religion", "disability", "reasonable_adjustments", "staff_group")


@dataclass(frozen=True)
class Dimension:
    id: str
    column: str | None          # None for "all"
    title: str
    groups: tuple[str, ...]     # ordered labels, "Not stated" last ("All" for the all dimension)
    mapping: dict = field(default_factory=dict)   # canonical code -> label
    code_width: int = 0

    def canonical(self, code) -> str | None:
        if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
            return None
        text = str(code).strip()
        return text.zfill(self.code_width) if self.code_width and text.isdigit() else text

    def label(self, code) -> str:
        if self.column is None:
            return ALL
        return self.mapping.get(self.canonical(code), NOT_STATED)

    def labels(self, codes: pd.Series) -> pd.Series:
        """Vectorised label() over a Series of codes (maps each distinct value once)."""
        if self.column is None:
            return pd.Series(ALL, index=codes.index)
        uniq = pd.unique(codes.astype(object))
        table = {u: self.label(u) for u in uniq}
        return codes.astype(object).map(table)


def load_dimensions(path: str | Path | None = None) -> dict[str, Dimension]:
    path = Path(path) if path else HERE / "dimensions.yaml"
    file = path.name
    out: dict[str, Dimension] = {}
    for i, item in enumerate(read_yaml(path, "dimensions")):
        where = f"dimensions[{i}]"
        if not isinstance(item, dict):
            raise DefinitionError(f"{file}: {where}: expected a mapping")
        did = need(item, "id", str, where, file)
        where = f"dimensions[{i}] ({did})"
        if did in out:
            raise DefinitionError(f"{file}: {where}.id: duplicate id")
        column = need(item, "column", str, where, file, optional=True)
        title = need(item, "title", str, where, file)
        width = item.get("code_width") or 0
        groups = item.get("groups") or []
        if column is None:
            if groups:
                raise DefinitionError(f"{file}: {where}.groups: a dimension without a column has the single group All")
            out[did] = Dimension(did, None, title, (ALL,))
            continue
        if column not in DEMOGRAPHIC_COLUMNS:
            raise DefinitionError(f"{file}: {where}.column: expected one of {', '.join(DEMOGRAPHIC_COLUMNS)}, got {column!r}")
        labels, mapping = [], {}
        for j, g in enumerate(groups):
            gw = f"{where}.groups[{j}]"
            if not isinstance(g, dict):
                raise DefinitionError(f"{file}: {gw}: expected {{label, codes}}")
            label = need(g, "label", str, gw, file)
            codes = need(g, "codes", list, gw, file)
            if label in labels or label in (NOT_STATED, ALL):
                raise DefinitionError(f"{file}: {gw}.label: {label!r} is duplicate or reserved")
            for c in codes:
                if not isinstance(c, str):
                    raise DefinitionError(f"{file}: {gw}.codes: codes are strings, got {c!r}")
                c = c.zfill(width) if width else c
                if c in mapping:
                    raise DefinitionError(f"{file}: {gw}.codes: code {c!r} already in group {mapping[c]!r}")
                mapping[c] = label
            labels.append(label)
        if not labels:
            raise DefinitionError(f"{file}: {where}.groups: expected at least one group")
        out[did] = Dimension(did, column, title, tuple(labels) + (NOT_STATED,), mapping, width)
    if "all" not in out:
        raise DefinitionError(f"{file}: dimensions: the 'all' dimension is required")
    try:
        nesting(out)
    except ValueError as exc:
        raise DefinitionError(f"{file}: dimensions: {exc}") from None
    return out


def _norm(code: str) -> str:
    return code.lstrip("0") or "0" if code.isdigit() else code


def nesting(dimensions: dict) -> list[tuple[str, list[str], dict]]:
    """Characteristics that group the same answer column, and how their groups nest.

    Two characteristics over one column describe the same people: White in the two ethnicity
    tables is one number, and BME is Mixed + Asian + Black + Other. Every reader of the
    shipped definitions knows this, so the release must be protected with it. Per column
    with more than one characteristic: (column, ids finest first, {coarser id: {finer group:
    the coarser group holding it}}), each finer group mapped into every coarser one. "Not
    stated" is every code a characteristic does not list. Characteristics over one column
    must nest (each group of the finer inside one group of the coarser); ValueError says
    which two do not."""
    by_column: dict[str, list[Dimension]] = {}
    for dim in dimensions.values():
        if dim.column is not None:
            by_column.setdefault(dim.column, []).append(dim)
    out = []
    for column, dims in by_column.items():
        if len(dims) < 2:
            continue
        listed = set().union(*({_norm(c) for c in d.mapping} for d in dims))
        universe = listed | {None}                     # None: any code nobody lists, or none

        def groups(d: Dimension) -> dict[str, set]:
            sets = {g: set() for g in d.groups}
            for code, label in d.mapping.items():
                sets[label].add(_norm(code))
            sets[NOT_STATED] = universe - {_norm(c) for c in d.mapping}
            return {g: s for g, s in sets.items() if s}

        parts = {d.id: groups(d) for d in dims}
        order = sorted(dims, key=lambda d: -len(parts[d.id]))
        finest = order[0]
        up: dict[str, dict[str, str]] = {}
        for finer, coarser in zip(order, order[1:]):
            holder = {}
            for g, s in parts[finer.id].items():
                home = [h for h, t in parts[coarser.id].items() if s <= t]
                if not home:
                    raise ValueError(
                        f"characteristics {finer.id!r} and {coarser.id!r} both group column {column!r} "
                        f"but do not nest: group {g!r} of {finer.id!r} falls in more than one group of "
                        f"{coarser.id!r}. Make every group of one lie inside a group of the other, "
                        "or give them different columns.")
                holder[g] = home[0]
            up[coarser.id] = holder
        # every coarser characteristic, as seen from the finest one's groups
        chain = {}
        for finer, coarser in zip(order, order[1:]):
            base = chain.get(finer.id) or {g: g for g in parts[finest.id]}
            chain[coarser.id] = {f: up[coarser.id][base[f]] for f in parts[finest.id]}
        out.append((column, [d.id for d in order], chain))
    return out
