"""Two characteristics over one answer column describe the same people (issue 18).

The release is attacked by tests.support (its own reading of the YAML, its own model: one
unknown per leaf, set of respondents and *atom* of the ethnicity codes, so White in the two
tables is one number and BME is the sum of the four broad groups by construction), with
linear and integer programming. Every hidden base, count and complement must keep the
width the promise gives it, unless an attacker who knows only what no suppression can
withhold (published totals, size classes) pins it as narrowly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.analysis import load_dimensions
from survey.analysis._yaml import DefinitionError
from survey.analysis.dimensions import load_dimensions as load_dims_file, nesting
from tests.support import definitions
from tests.support import planted as seeded
from tests.support.attacker import Attack

ETHNICITY = ("all", "ethnicity_group", "ethnicity_broad")


def test_the_ethnicity_tables_nest_as_the_definitions_say():
    [(column, ids, chain)] = nesting(load_dimensions())
    assert column == "ethnicity" and ids == ["ethnicity_broad", "ethnicity_group"]
    assert chain["ethnicity_group"] == {"White": "White", "Mixed": "BME", "Asian": "BME", "Black": "BME",
                                        "Other": "BME", "Not stated": "Not stated"}
    # and the independent reading agrees: BME is the four broad groups' atoms
    defs = definitions.shipped()
    g, b = defs.characteristics["ethnicity_group"].groups, defs.characteristics["ethnicity_broad"].groups
    assert g["White"] == b["White"] and g["Not stated"] == b["Not stated"]
    assert g["BME"] == b["Mixed"] | b["Asian"] | b["Black"] | b["Other"]


def test_characteristics_that_do_not_nest_are_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "dimensions.yaml"
    path.write_text("""dimensions:
  - {id: all, column: null, title: All staff, groups: []}
  - id: a
    column: ethnicity
    title: A
    groups: [{label: X, codes: ["01", "02"]}, {label: Y, codes: ["03"]}]
  - id: b
    column: ethnicity
    title: B
    groups: [{label: P, codes: ["01"]}, {label: Q, codes: ["02", "03"]}]
""")
    with pytest.raises(DefinitionError) as err:
        load_dims_file(path)
    text = str(err.value)
    assert "dimensions.yaml" in text and "'a'" in text and "'b'" in text and "do not nest" in text


# ---- the release against the attacker -------------------------------------------------------

def _shortfalls(release, cells, orgs, indicators, integer: bool) -> pd.DataFrame:
    """Hidden numbers of the ethnicity tables narrower than the promise, per indicator."""
    defs = definitions.shipped()
    parent = seeded.parents(orgs)
    true = seeded.truth(cells, orgs)
    table = seeded.as_downloaded(release.table)
    table = table[table["dimension"].isin(ETHNICITY)]
    bad = []
    for ind in indicators:
        mine = table[table["indicator"] == ind]
        if not (mine["status"] != "ok").any():
            continue
        real = Attack(defs, mine, None, parent, release.params.min_cell, relations=False, columns={"ethnicity"})
        seen = Attack(defs, mine, None, parent, release.params.min_cell, relations=False, columns={"ethnicity"},
                      inherent=True)
        level, v = seeded.owed(real.hidden, true)
        inherent = seen.ranges(level)
        need = np.minimum(level, inherent["hi"] - inherent["lo"])
        got = real.ranges(need, integer=integer)
        # the truth lies in every range the attacker works out exactly (the model is sound)
        assert ((got["lo"] <= v + 1e-6) & (v <= got["hi"] + 1e-6))[got["exact"].to_numpy(bool)].all()
        short = got[(got["hi"] - got["lo"]) < need - 1e-6]
        bad.append(short.assign(need=need[short.index]))
    return pd.concat(bad) if bad else pd.DataFrame()


def test_one_group_in_two_tables_is_one_status(planted):
    release = planted[0]
    t = release.table.astype({"status": str, "group": str, "dimension": str})
    g = t[t["dimension"] == "ethnicity_group"].set_index(["indicator", "org_code", "group"])["status"]
    b = t[t["dimension"] == "ethnicity_broad"].set_index(["indicator", "org_code", "group"])["status"]
    for group in ("White", "Not stated"):
        pair = pd.concat([g.xs(group, level="group"), b.xs(group, level="group")], axis=1, keys=["g", "b"])
        assert ((pair["g"] == "ok") == (pair["b"] == "ok")).all(), pair[(pair["g"] == "ok") != (pair["b"] == "ok")]
    # BME is never hidden where its four parts are all printed
    parts = b[b.index.get_level_values("group").isin(["Mixed", "Asian", "Black", "Other"])]
    all_shown = (parts == "ok").groupby(level=["indicator", "org_code"]).all()
    bme = g.xs("BME", level="group")
    assert not ((bme != "ok") & all_shown.reindex(bme.index)).any()


@pytest.mark.parametrize("integer", [False, True], ids=["LP", "MILP"])
def test_planted_ics_recovers_nothing_the_promise_protects(planted, integer):
    release, cells, orgs, _ = planted
    assert (release.table["status"] != "ok").any()
    inds = sorted(set(release.table["indicator"].astype(str)))
    short = _shortfalls(release, cells, orgs, inds, integer)
    assert short.empty, short.to_string()


def test_a_release_built_before_the_fix_keeps_every_suppression_and_hides_what_it_exposed(planted, monkeypatch):
    """Monotone: rebuilt on top of a pattern from the engine without nesting (the release
    as it was), every earlier suppression stays and the attacker finds nothing."""
    from survey.analysis import layout
    orgs = planted[2]
    rows = seeded.people(orgs, seeded.SIZES, seed=7, plant=seeded.PLANT)
    with monkeypatch.context() as m:
        m.setattr(layout, "_families", lambda *a: ())
        before = seeded.release_of(rows, orgs)[0]
    after, cells, _ = seeded.release_of(rows, orgs, previous=before.pattern)
    key = ["indicator", "org_code", "dimension", "group"]
    was = before.pattern[key].astype(str).apply(tuple, axis=1)
    now = set(after.pattern[key].astype(str).apply(tuple, axis=1))
    assert set(was) <= now
    short = _shortfalls(after, cells, orgs, ["wres5", "wres7"], integer=False)
    assert short.empty, short.to_string()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pcns=st.lists(st.integers(1, 3), min_size=2, max_size=4), seed=st.integers(0, 10_000),
       scale=st.integers(4, 30))
def test_any_small_hierarchy_recovers_nothing(pcns, seed, scale):
    orgs = seeded.orgs(pcns)
    rng = np.random.default_rng(seed)
    sizes = {c: int(rng.integers(1, scale + 1)) for c in orgs.loc[orgs["level"] == "practice", "code"]}
    rows = seeded.people(orgs, sizes, seed)
    release, cells, prof = seeded.release_of(rows, orgs)
    short = _shortfalls(release, cells, orgs, ["wres5", "wres8"], integer=False)
    assert short.empty, short.to_string()


