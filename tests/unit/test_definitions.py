"""The shipped question bank and surveys: they load, and their codes are domain.md's."""
from __future__ import annotations

import pytest

from survey.definitions import available_surveys, load_bank, load_definition
from survey.definitions.loader import SHIPPED_DIR
from survey.definitions.model import QuestionType, Routing, SurveyDefinition
from survey.models.responses import BANK_COLUMNS, BANK_MULTI_COLUMNS, DEMOGRAPHIC_COLUMNS

SHIPPED = ["racial-discrimination", "bullying-harassment", "equal-opportunities", "staff-experience"]
WRES_WDES = ["q4b", "q11d", "q11e", "q14a", "q14b", "q14c", "q14d", "q15", "q16a", "q16b", "q16c", "q17a", "q17b"]


def codes(qid):
    return [(o.code, o.label) for o in load_bank().questions[qid].options]


def test_every_shipped_survey_loads():
    surveys = available_surveys()
    assert sorted(surveys) == sorted(SHIPPED)
    for sid in SHIPPED:
        definition = load_definition(SHIPPED_DIR / f"{sid}.yaml")
        assert definition.id == sid and definition.title and definition.version
        ids = [q.id for q in definition.questions()]
        assert len(ids) == len(set(ids))
        assert "comments" in ids and definition.question("comments").type is QuestionType.free_text
        about = definition.sections[-1]
        assert {q.id for q in about.questions} == set(DEMOGRAPHIC_COLUMNS)
        assert all(q.demographic for q in about.questions)


def test_staff_experience_asks_every_question_behind_wres_and_wdes():
    definition = available_surveys()["staff-experience"]
    ids = {q.id for q in definition.questions()}
    assert set(WRES_WDES) <= ids
    assert {"q13a", "q13b", "q13c", "q25e", "q25f"} <= ids


def test_bank_covers_every_response_column_with_the_right_type():
    bank = load_bank().questions
    assert set(bank) == set(BANK_COLUMNS) | set(BANK_MULTI_COLUMNS) | set(DEMOGRAPHIC_COLUMNS)
    for qid in BANK_COLUMNS:
        assert bank[qid].type in (QuestionType.single, QuestionType.scale)
        assert all(code.isdigit() for code in bank[qid].option_codes())
    assert bank["q16c"].type is QuestionType.multiple


def test_bank_codes_match_domain_md():
    assert codes("q14d") == [("1", "Yes, I reported it"), ("2", "Yes, a colleague reported it"), ("3", "No"),
                             ("4", "Don't know"), ("9", "Not applicable")]
    assert codes("q15") == [("1", "Yes"), ("2", "No"), ("9", "Don't know")]
    for qid in ("q13a", "q13b", "q13c", "q14a", "q14b", "q14c", "q17a", "q17b"):
        assert [c for c, _ in codes(qid)] == ["1", "2", "3", "4", "5"]
        assert [lab for _, lab in codes(qid)] == ["Never", "1-2", "3-5", "6-10", "More than 10"]
    assert codes("q11d") == codes("q11e") == codes("q16a") == codes("q16b") == [("1", "Yes"), ("2", "No")]
    assert codes("q4b")[0] == ("1", "Very dissatisfied") and codes("q4b")[-1] == ("5", "Very satisfied")
    assert codes("q25e")[0] == ("1", "Strongly disagree") and codes("q25f")[-1] == ("5", "Strongly agree")
    assert [c for c, _ in codes("q16c")] == ["1", "2", "3", "4", "5", "6", "7"]
    assert codes("q16c")[0][1] == "Ethnic background" and codes("q16c")[4][1] == "Disability"


def test_ethnicity_has_18_codes_and_prefer_not_to_say():
    eth = codes("ethnicity")
    assert [c for c, _ in eth] == [f"{i:02d}" for i in range(1, 20)]
    assert eth[-1] == ("19", "Prefer not to say")
    assert "Indian" in eth[8][1] and "African" in eth[13][1] and "Arab" in eth[16][1]


@pytest.mark.parametrize("qid,expected", [
    ("sex", ["Female", "Male", "Non-binary", "Prefer to self-describe", "Prefer not to say"]),
    ("gender_identity", ["Yes", "No", "Prefer not to say"]),
    ("age_band", ["16-20", "21-30", "31-40", "41-50", "51-65", "66+", "Prefer not to say"]),
    ("disability", ["Yes", "No", "Prefer not to say"]),
    ("reasonable_adjustments", ["Yes", "No", "No adjustment required", "Prefer not to say"]),
    ("religion", ["No religion", "Christian", "Buddhist", "Hindu", "Jewish", "Muslim", "Sikh",
                  "Any other religion", "Prefer not to say"]),
])
def test_demographic_codes_match_common_contract(qid, expected):
    got = codes(qid)
    assert [c for c, _ in got] == [str(i) for i in range(1, len(expected) + 1)]
    assert [lab for _, lab in got] == expected


def test_every_demographic_item_ends_with_prefer_not_to_say():
    bank = load_bank().questions
    for qid in DEMOGRAPHIC_COLUMNS:
        assert bank[qid].demographic
        assert bank[qid].options[-1].label == "Prefer not to say"
    assert len(bank["staff_group"].options) == 9
    assert bank["sexual_orientation"].options[0].label == "Heterosexual or straight"


def test_bank_routing():
    bank = load_bank().questions
    assert bank["q11e"].show_if == Routing("q11d", ("1",))
    assert bank["q16c"].show_if.questions() == ("q16a", "q16b")
    assert bank["reasonable_adjustments"].show_if == Routing("disability", ("1",))


def test_routing_is_met():
    simple = Routing("q11d", ("1",))
    assert simple.is_met({"q11d": "1"})
    assert not simple.is_met({"q11d": "2"})
    assert not simple.is_met({})
    either = Routing("q16a", ("1",), (Routing("q16b", ("1",)),))
    assert either.is_met({"q16a": "1", "q16b": "2"})
    assert either.is_met({"q16a": "2", "q16b": "1"})
    assert either.is_met({"q16b": "1"})
    assert not either.is_met({"q16a": "2", "q16b": "2"})
    multi = Routing("q16c", ("5",))
    assert multi.is_met({"q16c": ["1", "5"]}) and not multi.is_met({"q16c": ["1"]})


def test_hidden_questions_follow_answers():
    definition = available_surveys()["staff-experience"]
    q11e, q16c = definition.question("q11e"), definition.question("q16c")
    assert not q11e.is_shown({}) and not q11e.is_shown({"q11d": "2"}) and q11e.is_shown({"q11d": "1"})
    assert not q16c.is_shown({"q16a": "2", "q16b": "2"}) and q16c.is_shown({"q16a": "2", "q16b": "1"})
    assert definition.question("q15").is_shown({})


def test_wording_override_keeps_codes():
    definition = available_surveys()["racial-discrimination"]
    q15 = definition.question("q15")
    assert q15.hint and "promotion" in q15.hint
    assert q15.options == load_bank().questions["q15"].options


def test_snapshot_round_trip():
    for definition in available_surveys().values():
        assert SurveyDefinition.from_json(definition.to_json()) == definition


def test_instance_surveys_are_listed_and_may_define_their_own_questions(tmp_path):
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "wellbeing.yaml").write_text(
        "id: wellbeing\ntitle: Wellbeing check\nversion: '1'\nsections:\n"
        "  - id: main\n    title: Main\n    questions:\n"
        "      - q11d\n      - q11e\n"
        "      - id: breaks\n        text: Do you get your breaks?\n        type: single\n"
        "        options: [{code: 1, label: Yes}, {code: 2, label: No}]\n"
        "      - id: shift\n        text: Which shift?\n        type: single\n        demographic: true\n"
        "        options: [{code: a, label: Day}, {code: b, label: Night}, {code: c, label: Prefer not to say}]\n")
    surveys = available_surveys(tmp_path)
    assert set(surveys) == set(SHIPPED) | {"wellbeing"}
    wellbeing = surveys["wellbeing"]
    assert wellbeing.source == "surveys/wellbeing.yaml"
    assert wellbeing.question("breaks").options[0].label == "Yes"   # not a boolean
    assert wellbeing.question("shift").demographic
