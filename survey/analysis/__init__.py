"""The pure analysis core: pandas in, pandas out. No Flask, no SQLAlchemy, no survey.db.

Public API (everything a caller needs is re-exported here):

Definitions (shipped YAML, validated on load; errors name file, path and problem)
    Predicate                         tree {"any": [...]}, {"all": [...]}, {"column": c, "in": [...]};
                                      .columns() -> set[str], .evaluate(df) -> bool Series, .to_dict()
    Indicator                         id, family, title, numerator, base, comparisons, benchmark, same_as
    load_indicators(path=None) -> dict[str, Indicator]           (ordered as in indicators.yaml)
    Dimension                         id, column, title, groups (ordered labels), mapping, .label(code)
    load_dimensions(path=None) -> dict[str, Dimension]           (ordered; "all" first)
    load_benchmarks(path=None) -> DataFrame[indicator, group, percent, year, source]
    canonical_indicator(indicators) -> dict[id, canonical id]    (follows same_as)

Finest cells
    finest_cells(profile_counts, indicators, dimensions) -> DataFrame[org_code, dimension, group,
        indicator, base, count]   (every combination present, zeros included)

Statistics
    wilson(count, base, z=1.959964) -> (low, high) in percent (arrays in, arrays out)
    newcombe(count_a, base_a, count_b, base_b, z=...) -> (gap_pp, low, high)  a minus b

Release (disclosure control over every table jointly)
    ReleaseParams(min_cell=11, count_k=0, protection=2.0)   min_cell < 5 -> ValueError
    build_release(cells, orgs, params, previous=None, indicators=None, dimensions=None,
                  answers=None) -> Release      (answers: respondents per leaf organisation)
    Release: .table  (indicator, org_level, org_code, org_name, dimension, group, base, count,
                      percent, ci_low, ci_high, status in ok/primary/secondary)
             .gaps   (indicator, org_level, org_code, dimension, group_a, group_b,
                      gap_pp, gap_low, gap_high)
             .pattern DataFrame[indicator, org_code, dimension, group, status] of suppressed
                      cells; pass it back as `previous` to keep every suppression (monotone)
             .audit  AuditReport(cells_checked, suppressed, blocks, lp_solved, failures, withheld, ...)
    TABLE_COLUMNS, GAP_COLUMNS, PATTERN_COLUMNS

Generic disclosure-control engine (any table of non-negative cells with additive relations;
survey.disclosure holds it and every other part of the disclosure control, re-exported here)
    protect(values, relations, primary, *, counts=None, forbidden=None, reluctant=None,
            cost=None, previous=None, protection=2.0) -> Protection
    protect_counts(df, min_count, *, total_row="ALL", protection=1.0) -> DataFrame of status
    audit(values, relations, suppressed, *, counts=None, protection=2.0) -> AuditReport
"""
from __future__ import annotations

from survey.analysis.predicates import Predicate, PredicateError
from survey.analysis.indicators import Indicator, canonical_indicator, load_indicators
from survey.analysis.dimensions import Dimension, load_dimensions
from survey.analysis.benchmarks import load_benchmarks
from survey.analysis.cells import finest_cells
from survey.analysis.stats import newcombe, wilson
from survey.disclosure.engine import AuditReport, Protection, audit, protect
from survey.disclosure.relations import Relations
from survey.disclosure.counts import protect_counts
from survey.analysis.release import (
    GAP_COLUMNS, PATTERN_COLUMNS, TABLE_COLUMNS, Release, ReleaseParams, build_release,
)

__all__ = [
    "Predicate", "PredicateError", "Indicator", "canonical_indicator", "load_indicators",
    "Dimension", "load_dimensions", "load_benchmarks", "finest_cells", "wilson", "newcombe",
    "AuditReport", "Protection", "Relations", "audit", "protect", "protect_counts",
    "Release", "ReleaseParams", "build_release", "TABLE_COLUMNS", "GAP_COLUMNS", "PATTERN_COLUMNS",
]
