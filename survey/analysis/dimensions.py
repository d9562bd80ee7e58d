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
    return out
