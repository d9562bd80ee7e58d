"""The same people answer every question (issue 18): the respondent relation.

Every indicator's base in a group is at most the group's respondents, and the groups'
respondents add up to the organisation's answers, which response_rates.csv publishes. The
release is attacked with that relation and every other the definitions imply, by code
written apart from the engine (tests.support.attacker), with the answers as downloaded.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import definitions
from tests.support import planted as seeded


def test_a_release_built_before_the_indicators_agreed_keeps_every_suppression_and_hides_what_it_exposed(
        planted, monkeypatch):
    """Monotone: rebuilt on top of a pattern from the engine before the indicators asking
    nearly everybody agreed (survey.disclosure.respondents), every earlier suppression stays
    and the attacker with the published answers pins no base."""
    from survey.disclosure import respondents
    orgs = planted[2]
    rows = seeded.people(orgs, seeded.SIZES, seed=7, plant=seeded.PLANT)
    with monkeypatch.context() as m:
        m.setattr(respondents, "agree", lambda grid, status, everybody: 0)
        before = seeded.release_of(rows, orgs)[0]
    after, cells, prof = seeded.release_of(rows, orgs, previous=before.pattern)
    key = ["indicator", "org_code", "dimension", "group"]
    was = set(before.pattern[key].astype(str).apply(tuple, axis=1))
    now = set(after.pattern[key].astype(str).apply(tuple, axis=1))
    assert was < now
    short = seeded.pinned_by_everything(after, cells, orgs, prof, what="base")
    assert short.empty, short.to_string()


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pcns=st.lists(st.integers(1, 2), min_size=2, max_size=3), seed=st.integers(0, 10_000),
       scale=st.integers(4, 20))
def test_any_small_hierarchy_with_its_published_answers_recovers_nothing(pcns, seed, scale):
    """Every indicator at once with the published answers, on random hierarchies: the
    bases, which the answers narrow (bench/relations.py: all 85 numbers pinned before the
    indicators agreed were bases); the planted ICS below checks counts and complements too."""
    orgs = seeded.orgs(pcns)
    rng = np.random.default_rng(seed)
    sizes = {c: int(rng.integers(1, scale + 1)) for c in orgs.loc[orgs["level"] == "practice", "code"]}
    release, cells, prof = seeded.release_of(seeded.people(orgs, sizes, seed), orgs)
    short = seeded.pinned_by_everything(release, cells, orgs, prof, what="base")
    assert short.empty, short.to_string()


@pytest.mark.slow
def test_the_same_people_in_every_question_pin_nothing_on_the_planted_ics(planted):
    """Every indicator at once, with every relation between their sets of respondents that
    the definitions imply (a numerator inside its base; WRES 6's base inside WDES 4(ii) or
    4(iii); every base inside the people who answered), the nesting, and the published
    number of answers per organisation (response_rates.csv): nothing the promise protects
    is pinned beyond what that attacker pins whatever is suppressed. Before the indicators
    asking everybody agreed on their hidden groups (survey.disclosure.respondents), 85 bases
    were pinned here (bench/relations.py)."""
    release, cells, orgs, prof = planted
    defs = definitions.shipped()
    assert any(len({a, b, c}) == 3 and a.startswith("wres6:") for a, b, c in defs.union)
    assert (seeded.published_answers(prof, release, orgs)["status"] == "ok").sum() >= 10
    assert int((release.table["status"] != "ok").sum()) > 1000
    short = seeded.pinned_by_everything(release, cells, orgs, prof)
    assert short.empty, short.to_string()


def test_indicators_asking_nearly_everybody_hide_the_same_groups(planted):
    """At each organisation, a group hidden in one indicator whose base counts nearly every
    respondent is hidden in all of them. WDES 8 (Disabled staff only) and WRES 7 (its base
    leaves "Don't know" out: a third of the planted answers) count fewer and keep their own."""
    from survey.disclosure.respondents import NEARLY_EVERYBODY
    release, cells, orgs, _ = planted
    true = seeded.truth(cells, orgs)["base"]
    t = release.table.astype({"status": str, "group": str, "dimension": str, "indicator": str, "org_code": str})
    whole = true.xs(("all", "All"), level=["dimension", "group"]).groupby(level="indicator").max()
    near = set(whole[whole >= NEARLY_EVERYBODY * whole.max()].index)
    assert "wres5" in near and "wdes8" not in near and "wres7" not in near
    t = t[t["indicator"].isin(near)]
    hidden = (t["status"] != "ok").groupby([t["org_code"], t["dimension"], t["group"]])
    agreed = hidden.all() | ~hidden.any()
    assert agreed.all(), agreed[~agreed]
    assert hidden.any().sum() > 20


def _not_stated_at_the_boundary() -> tuple[list[dict], object]:
    """Four practices (one per PCN) where everybody answers the bullying questions and 11
    say nothing of disability, but 2 of those 11 and 5 Non-disabled leave the
    discrimination question (q16b, WRES 8) out: Not stated is 11 in WRES 5 and 9 in WRES 8
    at the ICS, the demo's whole wave in miniature."""
    rng = np.random.default_rng(3)
    plan = {"P00": (30, 8, 4, 2, 1), "P10": (30, 8, 3, 0, 2), "P20": (30, 8, 2, 0, 1), "P30": (30, 8, 2, 0, 1)}
    rows = []
    for org, (nd, d, ns, skip_ns, skip_nd) in plan.items():
        for code, n, skip in (("2", nd, skip_nd), ("1", d, 0), ("3", ns, skip_ns)):
            for i in range(n):
                row = {"org_code": org, "ethnicity": "01", "disability": code,
                       **{q: int(rng.choice([1, 2])) for q in ("q14a", "q14b", "q14c", "q16a", "q17a", "q17b")}}
                if i >= skip:
                    row["q16b"] = int(rng.choice([1, 2]))
                rows.append(row)
    return rows, seeded.orgs([1, 1, 1, 1])


@pytest.mark.parametrize("labels", [True, False], ids=["with-labels", "without"])
def test_a_group_secondary_in_one_question_and_primary_in_another_keeps_its_width(labels, monkeypatch):
    """Not stated "secondary" in WRES 5 says its respondents are 11 or more; "primary" in
    WRES 8 says that base is 10 or fewer, and WRES 8 misses only 2 of the people its printed
    numbers leave unaccounted (answers 163, WRES 8 156, 5 of them Non-disabled): without
    survey.disclosure.respondents.labels the attacker pins it to 9..10; with it, nothing."""
    from survey.disclosure import respondents
    if not labels:
        monkeypatch.setattr(respondents, "labels", lambda *a: 0)
    rows, orgs = _not_stated_at_the_boundary()
    release, cells, prof = seeded.release_of(rows, orgs)
    t = release.table.astype({"status": str, "group": str, "dimension": str, "indicator": str, "org_code": str})
    ns = t[(t["org_code"] == "I1") & (t["dimension"] == "disability") & (t["group"] == "Not stated")]
    ns = ns.set_index("indicator")["status"]
    assert ns["wres8"] == "primary" and ns["wres5"] == "secondary"       # the case arises
    short = seeded.pinned_by_everything(release, cells, orgs, prof, what="base")
    if labels:
        assert short.empty, short.to_string()
    else:
        pinned = short[(short["indicator"] == "wres8") & (short["group"] == "Not stated")]
        assert set(pinned["org_code"]) == {"I1", "ALL"} and (pinned["hi"] - pinned["lo"] < 2).all()
