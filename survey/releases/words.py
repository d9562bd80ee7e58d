"""The report's words: organisation levels, labels for indicators, characteristics and
groups, why a cell is hidden, the rule, what was left out. Shared by the pages, the CSV,
the workbook and the charts (survey.releases.outputs, .xlsx, .charts, .browse); reads
definitions and a frozen release's settings, never responses or files."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from survey.analysis import load_benchmarks, load_dimensions, load_indicators
from survey.models.releases import Release

LEVEL_LABELS = {"wave": "Whole wave", "ics": "ICS", "place": "Place", "pcn": "PCN", "practice": "Practice"}
LEVEL_ORDER = ["wave", "ics", "place", "pcn", "practice"]


def suppression_words(status: str, release: Release) -> str:
    """Why a cell is hidden, in words for the pages, the workbook and the charts."""
    if status == "primary":
        if release.count_k:
            return (f"fewer than {release.min_cell} answers, or {release.count_k} or fewer people "
                    "gave (or did not give) this answer")
        return f"fewer than {release.min_cell} answers"
    if status == "secondary":
        return "hidden so that another number cannot be worked out"
    return ""


def rule_words(release: Release) -> str:
    text = (f"A group with fewer than {release.min_cell} answers is not shown, nor its count. "
            "Further numbers are hidden where they would let someone work out a hidden one "
            "(from a total, the other groups, or the organisations above and below). ")
    if release.count_k:
        text += (f"Counts of 1 to {release.count_k}, and groups where only 1 to {release.count_k} people "
                 "did not give the answer, are hidden too. ")
    text += (f"Every hidden number was checked: it cannot be worked out exactly, and it could "
             f"be any of a range at least {release.protection:g} wide.")
    return text


@dataclass
class Labels:
    indicators: dict
    dimensions: dict

    @classmethod
    def load(cls) -> "Labels":
        dims = load_dimensions()
        return cls(load_indicators(dimensions=dims), dims)

    def indicator(self, iid: str) -> str:
        ind = self.indicators.get(iid)
        return ind.title if ind else iid

    def dimension(self, did: str) -> str:
        dim = self.dimensions.get(did)
        return dim.title if dim else did

    @staticmethod
    def group(did: str, group: str) -> str:
        """A group as a report reads it."""
        if did == "all":
            return "All staff"
        if group == "Not stated":
            return "Not stated (no answer, or prefer not to say)"
        return group


_SHIPPED: "Labels | None" = None


def shipped_labels() -> "Labels":
    """The shipped labels, read once per process (the CSV writer asks for them per table)."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = Labels.load()
    return _SHIPPED


def benchmarks_for(indicator: str) -> pd.DataFrame:
    bench = load_benchmarks()
    return bench[bench["indicator"] == indicator].reset_index(drop=True)


def chart_choice(labels: Labels, iid: str) -> str:
    """The characteristic an indicator's chart compares by default (its first comparison)."""
    ind = labels.indicators.get(iid)
    if ind is not None and ind.comparisons:
        return ind.comparisons[0][0]
    return "ethnicity_group"


def withheld_words(audit: dict | None, names) -> list[str]:
    """What the release left out (survey.analysis.release._withhold), in words."""
    out = []
    for w in (audit or {}).get("withheld", []):
        ids = ", ".join(w["indicators"])
        out.append(f"{ids}, every table" if w["dimension"] == "all" else f"{ids} by {names.dimension(w['dimension'])}")
    return out
