"""Indicator and characteristic definitions, finest cells, benchmarks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.analysis import Predicate, canonical_indicator, finest_cells, load_benchmarks, load_indicators
from survey.analysis._yaml import DefinitionError

IDS = "wres5 wres6 wres7 wres8 wdes4i wdes4ii wdes4iii wdes4b wdes5 wdes6 wdes7 wdes8 q16a q17a q17b".split()


def test_every_indicator_declared_in_order(indicators):
    assert list(indicators) == IDS
    assert {i.family for i in indicators.values()} == {"WRES", "WDES", "Other"}


def test_defaults_are_declared_as_in_the_domain_reference(indicators):
    assert indicators["wres7"].base.to_dict() == {"column": "q15", "in": [1, 2]}
    assert indicators["wres7"].numerator.to_dict() == {"column": "q15", "in": [1]}
    assert indicators["wdes8"].base.to_dict() == {"all": [{"column": "disability", "in": ["1"]},
                                                          {"column": "reasonable_adjustments", "in": ["1", "2"]}]}
    assert indicators["wres5"].comparisons == (("ethnicity_group", "BME", "White"),)
    assert indicators["wdes5"].comparisons == (("disability", "Disabled", "Non-disabled"),)
    assert indicators["wdes6"].columns() == {"q11d", "q11e"}


def test_linked_indicators(indicators):
    canon = canonical_indicator(indicators)
    assert canon["wdes4i"] == "wres5" and canon["wdes5"] == "wres7"
    assert sum(1 for k, v in canon.items() if k != v) == 2


def test_numerator_outside_base_is_rejected(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators:\n  - id: x\n    family: WRES\n    title: t\n"
                   "    numerator: {column: q15, in: [1, 9]}\n    base: {column: q15, in: [1, 2]}\n")
    with pytest.raises(DefinitionError, match=r"bad.yaml: indicators\[0\] \(x\).numerator: must be a subset"):
        load_indicators(bad)


def test_malformed_predicate_names_the_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators:\n  - id: x\n    family: WRES\n    title: t\n"
                   "    numerator: {column: q15, in: 1}\n    base: {column: q15, in: [1, 2]}\n")
    with pytest.raises(DefinitionError, match=r"bad.yaml: indicators\[0\] \(x\).numerator.in: expected a non-empty list"):
        load_indicators(bad)


def test_predicate_evaluates_any_all_and_missing():
    p = Predicate.from_dict({"any": [{"column": "q14b", "in": [2, 3]}, {"column": "q14c", "in": [2]}]})
    df = pd.DataFrame({"q14b": [1, 2, np.nan, np.nan], "q14c": [2, 1, np.nan, 1]})
    assert p.evaluate(df).tolist() == [True, True, False, False]
    assert p.columns() == {"q14b", "q14c"}
    assert Predicate.from_dict(p.to_dict()) == p


def test_dimension_mapping(dimensions):
    eg, eb = dimensions["ethnicity_group"], dimensions["ethnicity_broad"]
    assert eg.groups == ("White", "BME", "Not stated")
    assert eb.groups == ("White", "Mixed", "Asian", "Black", "Other", "Not stated")
    assert [eg.label(c) for c in ("01", "1", "04", "05", "18", "19", None)] == \
        ["White", "White", "White", "BME", "BME", "Not stated", "Not stated"]
    assert [eb.label(c) for c in ("07", "12", "15", "17")] == ["Mixed", "Asian", "Black", "Other"]
    assert dimensions["disability"].label("3") == "Not stated"
    assert dimensions["staff_group"].label("9") == "Not stated"
    assert dimensions["sex"].groups[-1] == "Not stated" and len(dimensions["sex"].groups) == 5
    assert dimensions["all"].groups == ("All",)


def test_finest_cells_against_a_hand_computed_table(indicators, small_dims):
    pc = pd.DataFrame({
        "org_code": ["A", "A", "A", "B"],
        "ethnicity": ["01", "10", None, "02"], "disability": ["1", "2", "2", None],
        "sex": None, "gender_identity": None, "age_band": None, "sexual_orientation": None,
        "religion": None, "reasonable_adjustments": None, "staff_group": None,
        "n": [3, 2, 1, 4],
        "wres5__base": [3, 2, 1, 4], "wres5__num": [1, 2, 0, 3],
    })
    cells = finest_cells(pc, indicators, small_dims)
    got = {(r.org_code, r.dimension, r.group): (r.base, r.count) for r in cells.itertuples()}
    assert got[("A", "all", "All")] == (6, 3)
    assert got[("A", "ethnicity_group", "White")] == (3, 1)
    assert got[("A", "ethnicity_group", "BME")] == (2, 2)
    assert got[("A", "ethnicity_group", "Not stated")] == (1, 0)
    assert got[("A", "disability", "Non-disabled")] == (3, 2)
    assert got[("B", "ethnicity_group", "BME")] == (0, 0)      # zeros are present
    assert got[("B", "disability", "Not stated")] == (4, 3)
    assert len(cells) == 2 * (1 + 3 + 3) and set(cells["indicator"]) == {"wres5"}


def test_benchmarks():
    b = load_benchmarks()
    assert list(b.columns) == ["indicator", "group", "percent", "year", "source"]
    row = b[(b.indicator == "wres8") & (b.group == "BME")].iloc[0]
    assert row.percent == 16.4 and row.year == 2023
    assert len(b) == 8


def test_codes_a_predicate_requires_of_a_column():
    p = Predicate.from_dict({"all": [{"column": "disability", "in": ["1", "2"]},
                                     {"any": [{"column": "disability", "in": ["1"]}, {"column": "q15", "in": [1]}]},
                                     {"column": "disability", "in": ["1", "3"]}]})
    assert p.required_codes("disability") == {"1"}
    assert p.required_codes("q15") is None           # the "any" lets other rows through
    either = Predicate.from_dict({"any": [{"column": "sex", "in": ["1"]}, {"column": "sex", "in": ["2"]}]})
    assert either.required_codes("sex") == {"1", "2"}
    assert either.required_codes("disability") is None


def test_groups_empty_by_definition(indicators, dimensions):
    """WDES 8 asks Disabled staff only: its other disability groups (Not stated included)
    are empty wherever it is published; no other shipped indicator restricts a
    characteristic."""
    from survey.analysis.indicators import empty_by_definition
    found = {(i, d): g for i, ind in indicators.items() for d, dim in dimensions.items()
             if (g := empty_by_definition(ind, dim))}
    assert found == {("wdes8", "disability"): {"Non-disabled", "Not stated"}}
    # a base that admits a code outside every group leaves "Not stated" open
    from survey.analysis.indicators import Indicator
    odd = Indicator("x", "Other", "x", Predicate.from_dict({"column": "disability", "in": ["1", "9"]}),
                    Predicate.from_dict({"column": "disability", "in": ["1", "9"]}))
    assert empty_by_definition(odd, dimensions["disability"]) == {"Non-disabled"}
    assert empty_by_definition(odd, dimensions["all"]) == frozenset()
