"""survey.answers: canonical codes, routing, validation and the storage split (no app)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import MultiDict

from survey.answers import (canonical_code, canonical_codes, drop_hidden, missing_required, pages,
                            response_date, to_storage, validate_section, visible_page_numbers, visible_questions)
from survey.definitions.model import Option, Question, QuestionType, Routing, Section, SurveyDefinition
from tests.respond_support import definition

D = definition()
Q = D.question


def test_ethnicity_is_two_digits_others_have_no_leading_zeros():
    assert canonical_code(Q("ethnicity"), "1") == "01"
    assert canonical_code(Q("ethnicity"), "01") == "01"
    assert canonical_code(Q("ethnicity"), 9) == "09"
    assert canonical_code(Q("ethnicity"), " 19 ") == "19"
    assert canonical_code(Q("disability"), "01") == "1"
    assert canonical_code(Q("q14a"), 5) == "5"
    assert canonical_code(Q("q14a"), "") is None
    assert canonical_code(Q("q14a"), None) is None
    assert canonical_code(Q("team"), "b") == "b"


def test_bad_code_names_question_and_allowed_codes():
    with pytest.raises(ValueError) as err:
        canonical_code(Q("ethnicity"), "7")
    assert "ethnicity" in str(err.value) and "01, 02, 09, 14, 18, 19" in str(err.value)
    with pytest.raises(ValueError, match="allowed codes are 1, 2, 3, 4, 5"):
        canonical_code(Q("q14a"), "6")
    with pytest.raises(ValueError, match="one code expected"):
        canonical_code(Q("q14a"), "1;2")


def test_multiple_choice_codes_are_sorted_and_deduplicated():
    assert canonical_code(Q("q16c"), "5;1") == "1;5"
    assert canonical_code(Q("q16c"), "05; 1;1") == "1;5"
    assert canonical_codes(Q("q16c"), ["7", "2"]) == ["2", "7"]
    with pytest.raises(ValueError, match="allowed codes are 1, 2, 3, 4, 5, 6, 7"):
        canonical_code(Q("q16c"), "1;8")


def test_free_text_is_stripped_and_limited():
    assert canonical_code(Q("comment"), "  hello \n") == "hello"
    with pytest.raises(ValueError, match="at most 500"):
        canonical_code(Q("comment"), "x" * 501)


@settings(max_examples=100)
@given(st.sampled_from(["01", "02", "09", "14", "18", "19"]), st.integers(min_value=0, max_value=3))
def test_ethnicity_leading_zeros_do_not_matter(code, zeros):
    raw = "0" * zeros + code.lstrip("0")
    assert canonical_code(Q("ethnicity"), raw) == code


def test_routing_visible_questions_and_dropping():
    ids = [q.id for q in visible_questions(D, {"q11d": "2"})]
    assert "q11e" not in ids and "q25e" in ids
    assert "q11e" in [q.id for q in visible_questions(D, {"q11d": "1"})]
    assert drop_hidden(D, {"q11d": "2", "q11e": "1", "nonsense": "1"}) == {"q11d": "2"}
    assert drop_hidden(D, {"q16b": "1", "q16c": ["1"]}) == {"q16b": "1", "q16c": ["1"]}


def test_routing_on_a_hidden_question_hides_too():
    yn = (Option("1", "Yes"), Option("2", "No"))
    d = SurveyDefinition("x", "X", "1", (Section("s", "S", (
        Question("a", "A", QuestionType.single, yn),
        Question("b", "B", QuestionType.single, yn, show_if=Routing("a", ("1",))),
        Question("c", "C", QuestionType.single, yn, show_if=Routing("b", ("1",))),
    )),))
    assert [q.id for q in visible_questions(d, {"a": "2", "b": "1"})] == ["a"]
    assert [[q.id for q in p.questions] for p in pages(d)] == [["a"], ["b"], ["c"]]


def test_pages_split_where_routing_needs_an_earlier_answer():
    assert [[q.id for q in p.questions] for p in pages(D)] == [
        ["q11d"], ["q11e", "q25e"], ["q14a", "q16b"], ["q16c"], ["comment"], ["ethnicity", "disability", "team"]]
    assert visible_page_numbers(D, {"q11d": "2", "q16b": "2"}) == [1, 2, 3, 5, 6]
    assert visible_page_numbers(D, {}) == [1, 2, 3, 5, 6]


def test_validate_section_reads_a_page():
    p = pages(D)
    answers, errors = validate_section(D, p[2], MultiDict({"q14a": "3", "q16b": "1"}))
    assert answers == {"q14a": "3", "q16b": "1"} and errors == {}
    answers, errors = validate_section(D, p[2], MultiDict({"q16b": "1"}))
    assert set(errors) == {"q14a"} and errors["q14a"].startswith("Select an answer")
    assert answers == {"q16b": "1"}
    answers, errors = validate_section(D, p[2], MultiDict([("q14a", "1"), ("q14a", "2")]))
    assert "q14a" in errors
    answers, errors = validate_section(D, p[2], {"q14a": "9"})
    assert "Select one of the options shown" in errors["q14a"]
    answers, errors = validate_section(D, p[3], MultiDict([("q16c", "5"), ("q16c", "1")]), previous={"q16b": "1"})
    assert answers == {"q16c": ["1", "5"]}
    # Hidden by routing: not read at all.
    answers, errors = validate_section(D, p[1], {"q11e": "1", "q25e": "4"}, previous={"q11d": "2"})
    assert answers == {"q25e": "4"} and errors == {}
    answers, errors = validate_section(D, p[4], {"comment": "x" * 600})
    assert "500 characters or fewer" in errors["comment"] and answers == {}


def test_missing_required():
    assert [q.id for q in missing_required(D, {})] == ["q14a"]
    assert missing_required(D, {"q14a": "1"}) == []


def test_to_storage_splits_columns_extra_and_comments():
    stored = to_storage(D, {
        "q11d": "1", "q11e": "2", "q25e": "5", "q14a": "01", "q16b": "1", "q16c": ["5", "1"],
        "comment": "  Rota worries  ", "ethnicity": "9", "disability": "3", "team": "a",
    })
    assert stored.columns == {"q11d": 1, "q11e": 2, "q25e": 5, "q14a": 1, "q16b": 1, "q16c": "1;5",
                              "ethnicity": "09", "disability": "3"}
    assert all(isinstance(stored.columns[k], int) for k in ("q11d", "q11e", "q25e", "q14a", "q16b"))
    assert stored.extra == {"team": "a"} and json.loads(stored.extra_json) == {"team": "a"}
    assert stored.comments == [("comment", "Rota worries")]


def test_to_storage_drops_hidden_and_refuses_bad_codes():
    stored = to_storage(D, {"q11d": "2", "q11e": "1", "q16c": ["1"]})
    assert stored.columns == {"q11d": 2} and stored.extra_json is None and stored.comments == []
    with pytest.raises(ValueError, match="q14a"):
        to_storage(D, {"q14a": "8"})


def test_bank_id_as_free_text_is_refused():
    d = SurveyDefinition("x", "X", "1", (Section("s", "S", (Question("q15", "Q", QuestionType.free_text),)),))
    with pytest.raises(ValueError, match="q15"):
        to_storage(d, {"q15": "text"})


def test_response_date_day_or_iso_week_monday():
    thursday = dt.date(2025, 3, 13)
    assert response_date(thursday, "day") == thursday
    assert response_date(thursday, "week") == dt.date(2025, 3, 10)
    assert response_date(dt.date(2025, 3, 10), "week") == dt.date(2025, 3, 10)
    assert response_date(dt.date(2025, 3, 16), "week") == dt.date(2025, 3, 10)
    with pytest.raises(ValueError, match="day, week"):
        response_date(thursday, "hour")


def test_definition_round_trips_through_json():
    assert SurveyDefinition.from_json(D.to_json()) == D
