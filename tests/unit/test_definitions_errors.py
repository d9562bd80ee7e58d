"""Broken definitions: each error names the file, the path inside it and the problem."""
from __future__ import annotations

import textwrap

import pytest

from survey.definitions import DefinitionError, available_surveys, load_definition

HEAD = """\
id: bullying
title: Bullying
version: "1"
sections:
"""


def check(tmp_path, body: str, name: str = "bullying.yaml") -> DefinitionError:
    folder = tmp_path / "surveys"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(HEAD + textwrap.dedent(body))
    with pytest.raises(DefinitionError) as info:
        load_definition(path, f"surveys/{name}")
    error = info.value
    assert str(error).startswith(f"surveys/{name}: ")
    assert error.file == f"surveys/{name}"
    assert str(error) == f"{error.file}: {error.path}: {error.problem}" if error.path else f"{error.file}: {error.problem}"
    return error


SECTION0 = """\
  - id: one
    title: One
    questions:
      - q14a
"""


def test_options_given_as_a_string(tmp_path):
    error = check(tmp_path, SECTION0 + """\
  - id: two
    title: Two
    questions:
      - q15
  - id: three
    title: Three
    questions:
      - id: mine
        text: Mine?
        type: single
        options: "1 Yes, 2 No"
""")
    assert str(error) == ("surveys/bullying.yaml: sections[2].questions[0].options: "
                          "expected a list of {code, label}, got a string")
    assert error.path == "sections[2].questions[0].options"


def test_wrong_type_of_section(tmp_path):
    error = check(tmp_path, "  - just a string\n")
    assert error.path == "sections[0]" and "got a string" in error.problem


def test_unknown_question_type(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - {id: mine, text: "Mine?", type: dropdown, options: [{code: 1, label: A}]}
""")
    assert error.path == "sections[0].questions[0].type"
    assert "single, multiple, scale, free_text" in error.problem and "'dropdown'" in error.problem


def test_unknown_bank_reference(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - q14a
      - q14x
""")
    assert error.path == "sections[0].questions[1]"
    assert "unknown question 'q14x'" in error.problem and "did you mean" in error.problem


def test_unknown_ref_key(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - {ref: q15, options: [{code: 1, label: Yes}]}
""")
    assert error.path == "sections[0].questions[0].options" and "unknown key 'options'" in error.problem


def test_routing_to_a_later_question(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - id: pressure
        text: Pressure?
        type: single
        options: [{code: 1, label: Yes}, {code: 2, label: No}]
        show_if: {question: q11d, codes: [1]}
      - q11d
""")
    assert error.path == "sections[0].questions[0].show_if"
    assert "'q11d', which comes later" in error.problem


def test_bank_routing_needs_its_question_first(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - q11e
""")
    assert error.path == "sections[0].questions[0]"
    assert error.problem == ("'q11e' comes from the question bank, where it is asked only if q11d is 1; "
                             "'q11d' is not in this survey: add it before 'q11e'")


def test_routing_with_a_bad_code(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - q11d
      - {ref: q11e, show_if: {question: q11d, codes: [3]}}
""")
    assert error.path == "sections[0].questions[1].show_if"
    assert "code '3' is not an option of 'q11d'" in error.problem and "1, 2" in error.problem


def test_routing_on_an_unknown_question(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - q16a
      - {id: a, text: "A?", type: single, options: [{code: 1, label: x}],
         show_if: {any: [{question: q16a, codes: [1]}, {question: nope, codes: [1]}]}}
""")
    assert error.path == "sections[0].questions[1].show_if.any[1]" and "'nope'" in error.problem


def test_duplicate_question_id(tmp_path):
    error = check(tmp_path, SECTION0 + """\
  - id: two
    title: Two
    questions:
      - q14a
""")
    assert error.path == "sections[1].questions[0]"
    assert "duplicate question id 'q14a'" in error.problem and "sections[0].questions[0]" in error.problem


def test_duplicate_option_code(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - {id: a, text: "A?", type: single, options: [{code: 1, label: x}, {code: 1, label: y}]}
""")
    assert error.path == "sections[0].questions[0].options[1].code" and "used twice" in error.problem


def test_duplicate_yaml_key(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    title: Again
    questions: [q15]
""")
    assert error.path.startswith("line 7") and "given twice" in error.problem


def test_inline_question_may_not_reuse_a_bank_id(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - {id: q15, text: "Fair?", type: single, options: [{code: 1, label: Yes}]}
""")
    assert error.path == "sections[0].questions[0].id" and "is a question of the bank" in error.problem


def test_demographic_without_prefer_not_to_say(tmp_path):
    error = check(tmp_path, """\
  - id: about
    title: About you
    questions:
      - id: shift
        text: Which shift?
        type: single
        demographic: true
        options: [{code: 1, label: Day}, {code: 2, label: Night}]
""")
    assert error.path == "sections[0].questions[0].options" and "Prefer not to say" in error.problem


def test_unknown_top_level_key(tmp_path):
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "x.yaml").write_text("id: x\ntitle: X\nversion: '1'\nsection: []\n")
    with pytest.raises(DefinitionError) as info:
        load_definition(folder / "x.yaml", "surveys/x.yaml")
    assert info.value.path == "section" and "unknown key 'section'" in info.value.problem


def test_free_text_with_options(tmp_path):
    error = check(tmp_path, """\
  - id: one
    title: One
    questions:
      - {id: c, text: Say, type: free_text, options: [{code: 1, label: x}]}
""")
    assert error.path == "sections[0].questions[0].options" and "no options" in error.problem


def test_invalid_yaml_names_the_line(tmp_path):
    error = check(tmp_path, "  - id: one\n    title: [unclosed\n")
    assert error.path.startswith("line ") and "not valid YAML" in error.problem


def test_clashing_instance_survey_id(tmp_path):
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        "id: staff-experience\ntitle: X\nversion: '1'\nsections:\n  - {id: a, title: A, questions: [q15]}\n")
    with pytest.raises(DefinitionError) as info:
        available_surveys(tmp_path)
    assert info.value.file == "surveys/mine.yaml" and "already used" in info.value.problem
    errors = []
    assert "staff-experience" in available_surveys(tmp_path, errors=errors)
    assert len(errors) == 1


def test_deeply_nested_yaml_is_a_clear_error_not_a_crash(tmp_path):
    from survey.definitions.loader import DefinitionError, load_definition
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(DefinitionError, match="nested too deeply"):
        load_definition(path)


def test_a_broken_instance_file_does_not_hide_valid_surveys(tmp_path):
    from survey.definitions.loader import DefinitionError, find_survey
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "broken.yaml").write_text("id: broken\ntitle: [\n")
    assert find_survey(tmp_path, "staff-experience").id == "staff-experience"
    with pytest.raises(DefinitionError):
        find_survey(tmp_path, "broken")
