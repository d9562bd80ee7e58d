"""The wave's GROUP BY against hand-counted responses, the frame codec, protected response
rates and the comment-visibility rule. Runs on PostgreSQL too (SURVEY_TEST_DATABASE_URL)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.analysis import ReleaseParams, finest_cells, load_dimensions, load_indicators
from survey.models.responses import DEMOGRAPHIC_COLUMNS
from survey.releases.aggregate import profile_counts
from survey.releases.coding import AggregationError, predicate_sql
from survey.releases.comments import Node, shown_organisations
from survey.releases.frames import frame_from_bytes, frame_to_bytes
from survey.releases.rates import protect_rates
from tests.releases_helpers import add_random_responses, add_response, make_orgs, make_wave

DIMS = load_dimensions()
INDS = load_indicators(dimensions=DIMS)


@pytest.fixture
def small(db):
    orgs = make_orgs(db, {"ICS1": {"PCN1": ["P1", "P2"]}})
    wave = make_wave(db, "Hand counted", orgs.values())
    other = make_wave(db, "Other wave", orgs.values())
    p1, p2 = orgs["P1"], orgs["P2"]
    # P1: five people. Ethnicity stored with and without the leading zero.
    add_response(db, wave, p1, ethnicity="01", disability="1", reasonable_adjustments="1", q14a=1, q15=1, q16b=2)
    add_response(db, wave, p1, ethnicity="1", disability="1", reasonable_adjustments="2", q14a=3, q15=2, q16b=1)
    add_response(db, wave, p1, ethnicity="09", disability="2", q14a=2, q15=9, q16b=1)
    add_response(db, wave, p1, ethnicity="19", disability="3", q14a=None, q15=1)
    add_response(db, wave, p1, ethnicity=None, q14a=5, q14b=2, q14c=1)
    # P2: three people, same profile for two of them.
    add_response(db, wave, p2, ethnicity="14", disability="2", q14a=1, q14b=1, q14c=3, q15=1)
    add_response(db, wave, p2, ethnicity="14", disability="2", q14a=4, q14b=1, q14c=1, q15=2)
    add_response(db, wave, p2, ethnicity="04", disability="1", reasonable_adjustments="3", q14a=1, q14b=1, q14c=1)
    # Another wave's response must not count.
    add_response(db, other, p1, ethnicity="01", q14a=5, q15=1)
    db.commit()
    return wave, orgs


def _by_org(pc, col):
    return pc.groupby("org_code")[col].sum().to_dict()


def test_profile_counts_match_hand_counts(db, small):
    wave, _ = small
    pc = profile_counts(db, wave.id, INDS, DIMS)
    assert _by_org(pc, "n") == {"P1": 5, "P2": 3}
    # WRES 5: base q14a in 1..5, count q14a in 2..5
    assert _by_org(pc, "wres5__base") == {"P1": 4, "P2": 3}
    assert _by_org(pc, "wres5__num") == {"P1": 3, "P2": 1}
    # WRES 6: q14b or q14c answered; count if either in 2..5
    assert _by_org(pc, "wres6__base") == {"P1": 1, "P2": 3}
    assert _by_org(pc, "wres6__num") == {"P1": 1, "P2": 1}
    # WRES 7: q15 in 1,2 (9 excluded); count q15 = 1
    assert _by_org(pc, "wres7__base") == {"P1": 3, "P2": 2}
    assert _by_org(pc, "wres7__num") == {"P1": 2, "P2": 1}
    # WRES 8: q16b in 1,2; count q16b = 1
    assert _by_org(pc, "wres8__base") == {"P1": 3, "P2": 0}
    assert _by_org(pc, "wres8__num") == {"P1": 2, "P2": 0}
    # WDES 8: disabled staff with q31b in 1,2; count q31b = 1
    assert _by_org(pc, "wdes8__base") == {"P1": 2, "P2": 0}
    assert _by_org(pc, "wdes8__num") == {"P1": 1, "P2": 0}
    # The two identical P2 profiles are one row of two.
    p2 = pc[(pc["org_code"] == "P2") & (pc["ethnicity"] == "14")]
    assert len(p2) == 1 and int(p2["n"].iloc[0]) == 2 and int(p2["wres5__num"].iloc[0]) == 1
    # "1" and "01" meet; prefer not to say (19) and no answer are both "not stated" (None).
    p1 = pc[pc["org_code"] == "P1"]
    assert int(p1.loc[p1["ethnicity"] == "01", "n"].sum()) == 2
    assert int(p1.loc[p1["ethnicity"].isna(), "n"].sum()) == 2
    assert set(pc.columns) >= {"org_code", "n", *DEMOGRAPHIC_COLUMNS}


def test_finest_cells_by_ethnicity_group(db, small):
    wave, _ = small
    cells = finest_cells(profile_counts(db, wave.id, INDS, DIMS), INDS, DIMS)
    c = cells[(cells["indicator"] == "wres5") & (cells["dimension"] == "ethnicity_group")]
    got = {(str(r.org_code), str(r.group)): (int(r.base), int(r.count)) for r in c.itertuples()}
    assert got[("P1", "White")] == (2, 1)
    assert got[("P1", "BME")] == (1, 1)
    assert got[("P1", "Not stated")] == (1, 1)
    assert got[("P2", "White")] == (1, 0)
    assert got[("P2", "BME")] == (2, 1)


def test_matches_pandas_on_random_responses(db):
    """An independent computation: the core's Predicate.evaluate over the raw rows."""
    from sqlalchemy import select
    from survey.models import Response
    orgs = make_orgs(db, {"ICS9": {"PCN9": ["R1", "R2", "R3"]}})
    wave = make_wave(db, "Random", orgs.values())
    add_random_responses(db, wave, [orgs["R1"], orgs["R2"], orgs["R3"]], [40, 25, 7], seed=3)
    db.commit()
    pc = profile_counts(db, wave.id, INDS, DIMS)
    rows = db.scalars(select(Response).where(Response.wave_id == wave.id)).all()
    code = {o.id: o.code for o in orgs.values()}
    raw = pd.DataFrame([{c: getattr(r, c) for c in ("q4b", "q11d", "q11e", "q14a", "q14b", "q14c", "q14d", "q15",
                                                    "q16a", "q16b", "q17a", "q17b", *DEMOGRAPHIC_COLUMNS)}
                        | {"org_code": code[r.org_id]} for r in rows])
    for iid, ind in INDS.items():
        base = ind.base.evaluate(raw)
        num = ind.numerator.evaluate(raw) & base
        assert _by_org(pc, f"{iid}__base") == raw.assign(b=base).groupby("org_code")["b"].sum().to_dict(), iid
        assert _by_org(pc, f"{iid}__num") == raw.assign(b=num).groupby("org_code")["b"].sum().to_dict(), iid
    # ...and per ethnicity group, through the core's finest_cells
    cells = finest_cells(pc, INDS, DIMS)
    eth = DIMS["ethnicity_group"].labels(raw["ethnicity"])
    c = cells[(cells["indicator"] == "wres8") & (cells["dimension"] == "ethnicity_group")]
    base = INDS["wres8"].base.evaluate(raw)
    want = raw.assign(g=eth, b=base).groupby(["org_code", "g"])["b"].sum()
    for r in c.itertuples():
        assert int(r.base) == int(want.get((str(r.org_code), str(r.group)), 0))


def test_questions_not_asked_leave_the_indicator_out(db, small):
    wave, _ = small
    pc = profile_counts(db, wave.id, INDS, DIMS, asked={"q14a", "ethnicity", "disability"})
    assert "wres5__base" in pc and "wres7__base" not in pc and "wdes8__base" not in pc


def test_predicate_sql_refuses_unknown_columns():
    with pytest.raises(AggregationError, match="not a single-choice answer column"):
        predicate_sql({"column": "extra_json", "in": [1]})
    with pytest.raises(AggregationError, match="integers"):
        predicate_sql({"column": "q14a", "in": ["2"]})


def test_frame_codec_round_trip():
    df = pd.DataFrame({
        "cat": pd.Categorical(["a", "b", "a"]), "text": ["x", None, "z"],
        "n": pd.array([1, None, 3], dtype="Int64"), "f": [1.5, np.nan, 2.25], "i": np.array([1, 2, 3]),
    })
    back = frame_from_bytes(frame_to_bytes(df))
    assert list(back.columns) == list(df.columns)
    assert list(back["cat"].astype(str)) == ["a", "b", "a"]
    assert list(back["text"]) == ["x", None, "z"]
    assert back["n"].isna().tolist() == [False, True, False] and int(back["n"].iloc[2]) == 3
    assert np.isnan(back["f"].iloc[1]) and back["f"].iloc[2] == 2.25
    with pytest.raises(ValueError):
        frame_from_bytes(b"pickle")


ORGS = pd.DataFrame({"code": ["ICS", "PCN", "A", "B", "C"], "name": list("IPabc"),
                     "level": ["ics", "pcn", "practice", "practice", "practice"],
                     "parent_code": [None, "ICS", "PCN", "PCN", "PCN"]})


def test_response_rates_are_protected_and_monotone():
    invited = pd.Series({"A": 40, "B": 30, "C": 10})
    answered = pd.Series({"A": 30, "B": 20, "C": 6})
    rates = protect_rates(invited, answered, ORGS, ReleaseParams(min_cell=11)).set_index("org_code")
    assert rates.loc["C", "status"] == "primary" and pd.isna(rates.loc["C", "answered"])
    # a relation never holds exactly one hidden count
    hidden = set(rates.index[rates["status"] != "ok"])
    assert len(hidden & {"A", "B", "C", "PCN"}) != 1
    assert int(rates.loc["ALL", "answered"]) == 56 and rates.loc["ALL", "invited"] == 80
    assert rates.loc["ALL", "rate"] == 70.0
    # a rebuild with more answers keeps every earlier suppression
    again = protect_rates(invited, pd.Series({"A": 30, "B": 20, "C": 12}), ORGS, ReleaseParams(min_cell=11),
                          previous=rates.reset_index()).set_index("org_code")
    assert hidden <= set(again.index[again["status"] != "ok"])


def _nodes(spec):
    nodes = {}
    for code, level, parent, n in spec:
        nodes[code] = Node(code, code, level, parent, n, [])
    for code, node in nodes.items():
        if node.parent:
            nodes[node.parent].children.append(code)
    return nodes


def test_comments_cannot_single_out_a_small_practice_by_difference():
    nodes = _nodes([("ALL", "wave", None, 45), ("PCN", "pcn", "ALL", 45),
                    ("A", "practice", "PCN", 20), ("B", "practice", "PCN", 20), ("C", "practice", "PCN", 5)])
    shown = shown_organisations(nodes, 11)
    assert "C" not in shown
    # PCN minus the shown practices must be 0 or at least 11 answers
    for code in shown:
        below = [c for c in nodes[code].children if c in shown]
        rest = nodes[code].answered - sum(nodes[c].answered for c in below)
        assert rest == 0 or rest >= 11 or not below
    assert len({"A", "B"} & shown) <= 1


def test_comments_shown_where_enough_answered():
    nodes = _nodes([("ALL", "wave", None, 60), ("PCN", "pcn", "ALL", 60),
                    ("A", "practice", "PCN", 30), ("B", "practice", "PCN", 30)])
    assert shown_organisations(nodes, 11) == {"ALL", "PCN", "A", "B"}
    nodes = _nodes([("ALL", "wave", None, 9), ("A", "practice", "ALL", 9)])
    assert shown_organisations(nodes, 11) == set()


# --- the partitioned GROUP BY against one plain query ------------------------------------------

MIXED_DEMOGRAPHICS = {
    "ethnicity": ["01", "1", "02", "2", "09", "9", "14", "18", "19", "pnts", "99", None],
    "sex": ["1", "01", "2", "5", "x", None],
    "gender_identity": ["1", "2", "02", "3", None],
    "age_band": ["1", "2", "3", "03", "7", None],
    "sexual_orientation": ["1", "2", "5", None],
    "religion": ["1", "2", "6", "9", None],
    "disability": ["1", "01", "2", "3", None],
    "reasonable_adjustments": ["1", "2", "02", "3", "4", None],
    "staff_group": ["1", "2", "7", "07", "9", None],
}
MIXED_BANK = [None, 0, 1, 2, 3, 4, 5, 9]


def _add_mixed(db, wave, practices, n, rng):
    """Responses with every kind of stored code: both forms of a code, prefer-not-to-say,
    unknown codes, no answer, and bank answers outside every predicate (0, 9)."""
    from survey.models import Response
    from survey.models.responses import BANK_COLUMNS
    rows = []
    for i in range(n):
        answers = {c: values[int(rng.integers(len(values)))] for c, values in MIXED_DEMOGRAPHICS.items()}
        answers |= {c: MIXED_BANK[int(rng.integers(len(MIXED_BANK)))] for c in BANK_COLUMNS}
        org = practices[int(rng.integers(len(practices)))] if i >= len(practices) else practices[i]
        rows.append(Response(wave_id=wave.id, org_id=org.id, submitted_on=wave.opens_on, **answers))
    db.add_all(rows)
    db.flush()


@pytest.fixture
def mixed(db):
    orgs = make_orgs(db, {"ICS7": {"PCN7": [f"M{i}" for i in range(9)]}})
    practices = [orgs[f"M{i}"] for i in range(9)]
    big = make_wave(db, "Mixed codes", orgs.values())
    few = make_wave(db, "Few answers", orgs.values())   # under 1/16 of the table: the index path on SQLite
    rng = np.random.default_rng(11)
    _add_mixed(db, big, practices, 500, rng)
    _add_mixed(db, few, practices[:3], 25, rng)
    db.commit()
    return big, few


def _canonical_code(column: str, raw):
    """The code the dimensions make of a stored value ("1" and "01" are one code), or None."""
    codes = sorted({code for d in DIMS.values() if d.column == column for code in d.mapping})
    if not isinstance(raw, str):      # no answer (None, or NaN once in a frame)
        return None
    for code in codes:
        if raw == code or (raw.isdigit() and code.isdigit() and len(raw) <= 2 and int(raw) == int(code)):
            return code
    return None


def _plain_group_by(db, wave_id: int) -> pd.DataFrame:
    """The straightforward query: one GROUP BY over the stored codes with a SUM(CASE WHEN
    <predicate> THEN 1 ELSE 0 END) per indicator, then the codes made canonical in pandas."""
    from sqlalchemy import case, func, select
    from survey.models import Organisation, Response
    demo = [getattr(Response, c) for c in DEMOGRAPHIC_COLUMNS]
    sums, names = [], []
    for iid, ind in INDS.items():
        for part, pred in (("base", ind.base), ("num", ind.numerator)):
            sums.append(func.sum(case((predicate_sql(pred), 1), else_=0)))
            names.append(f"{iid}__{part}")
    rows = db.execute(select(Organisation.code, *demo, func.count(), *sums)
                      .join(Organisation, Organisation.id == Response.org_id)
                      .where(Response.wave_id == wave_id).group_by(Organisation.code, *demo)).all()
    raw = pd.DataFrame([tuple(r) for r in rows], columns=["org_code", *DEMOGRAPHIC_COLUMNS, "n", *names])
    for c in DEMOGRAPHIC_COLUMNS:
        raw[c] = [_canonical_code(c, v) for v in raw[c]]
    return _comparable(raw, merge=True)


def _comparable(frame: pd.DataFrame, merge: bool = False) -> pd.DataFrame:
    key = ["org_code", *DEMOGRAPHIC_COLUMNS]
    out = frame.copy()
    for c in key:
        out[c] = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in out[c]]
    if not merge:
        assert not out.duplicated(key).any(), "one row per organisation and profile"
    counts = [c for c in out.columns if c not in key]
    out = out.groupby(key, sort=True)[counts].sum().astype(np.int64)
    return out[sorted(counts)]


@pytest.mark.parametrize("partitions", [1, 2, 3, 9])
def test_partitions_match_one_plain_group_by(db, mixed, partitions, monkeypatch):
    from survey.releases import aggregate
    ran = []

    def spy(session, queries, reduce):
        done = real(session, queries, reduce)
        ran.append((len(queries), sum(d.responses for d in done)))
        return done

    real = aggregate._run_partitions
    monkeypatch.setattr(aggregate, "_run_partitions", spy)
    for wave in mixed:
        got = profile_counts(db, wave.id, INDS, DIMS, partitions=partitions)
        pd.testing.assert_frame_equal(_comparable(got), _plain_group_by(db, wave.id))
        assert got["n"].sum() == (500 if wave is mixed[0] else 25)
    # The partitions really ran, one connection each (nine practices: up to nine ranges),
    # and counted every response once (so their result was used, not the session's query).
    assert ran == ([] if partitions == 1 else [(partitions, 500), (partitions, 25)])


def test_partitioned_frame_is_the_single_query_frame(db, mixed):
    """Not only the same numbers: the same frame (columns, dtypes, row order, missing codes)."""
    for wave in mixed:
        one = profile_counts(db, wave.id, INDS, DIMS, partitions=1)
        for n in (2, 4):
            many = profile_counts(db, wave.id, INDS, DIMS, partitions=n)
            pd.testing.assert_frame_equal(many, one, check_exact=True)
            for c in ["org_code", *DEMOGRAPHIC_COLUMNS]:
                assert [type(v) for v in many[c]] == [type(v) for v in one[c]], c


def test_answer_digits_over_several_integers(db, mixed, monkeypatch):
    """More answer digits than one 64-bit integer holds: they spread over several."""
    from survey.releases import aggregate, coding
    monkeypatch.setattr(coding, "PACK_LIMIT", 40)
    preds, _ = aggregate._distinct_predicates(INDS)
    assert coding.AnswerCoder.from_predicates(preds).n_parts > 5
    for wave in mixed:
        for n in (1, 2):
            got = profile_counts(db, wave.id, INDS, DIMS, partitions=n)
            pd.testing.assert_frame_equal(_comparable(got), _plain_group_by(db, wave.id))


def test_uncommitted_responses_are_counted(db, mixed):
    """Partitions read through their own connections; what the session has written but not
    committed must still count (PostgreSQL: the session queries alone once it has written;
    SQLite: the partitions' total differs from the session's count, so it does too)."""
    big, _ = mixed
    practices = [o for o in db.get(type(big), big.id).organisations]
    from survey.models import Organisation
    orgs = [db.get(Organisation, wo.org_id) for wo in practices]
    _add_mixed(db, big, orgs, 30, np.random.default_rng(5))
    got = profile_counts(db, big.id, INDS, DIMS, partitions=2)
    assert int(got["n"].sum()) == 530
    pd.testing.assert_frame_equal(_comparable(got), _plain_group_by(db, big.id))
    db.rollback()


@pytest.mark.parametrize("partitions", [1, 2])
def test_a_wave_without_responses_gives_an_empty_frame(db, mixed, partitions):
    orgs = make_orgs(db, {"ICS8": {"PCN8": ["E1", "E2", "E3"]}})
    empty = make_wave(db, "Nobody answered", orgs.values())
    db.commit()
    got = profile_counts(db, empty.id, INDS, DIMS, partitions=partitions)
    want = profile_counts(db, mixed[0].id, INDS, DIMS).iloc[:0]
    assert got.empty and list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes)


def test_org_ranges_cover_every_organisation_once():
    from survey.releases.aggregate import _org_ranges
    ids = np.array([3, 4, 9, 10, 11, 40, 41, 42])
    weights = np.array([100, 1, 1, 1, 1, 1, 1, 50])
    for n in range(1, 10):
        ranges = _org_ranges(ids, weights, n)
        assert ranges[0][0] is None and ranges[-1][1] is None
        for (_, hi), (lo, _) in zip(ranges, ranges[1:]):
            assert hi == lo and hi is not None
        for probe in range(0, 60):      # every org id, listed or not, falls in exactly one range
            inside = [(lo is None or probe >= lo) and (hi is None or probe < hi) for lo, hi in ranges]
            assert sum(inside) == 1
